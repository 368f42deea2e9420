"""The web chat adapter: a reply needs no provider call, the realtime listener pushes it."""

from __future__ import annotations

from channels.webchat.limits import LIMITS, NAME
from store.messages import Receipt


class WebchatChannel:
    """Confirms a reply: the committed `message.queued` event reaches the widget's room."""

    name = NAME
    limits = LIMITS

    async def send(self, outbound) -> Receipt:
        # Delivery is the realtime listener's push to the room; nothing to call here.
        return Receipt(external_id=f"webchat:{outbound.message_id}")
