"""The widget's offline form (name, email, message) as an inbound email: nobody can chat now,
so the ticket lives on the email channel and is answered by email. Pure."""

from __future__ import annotations

from channels.webchat.verify import Visitor
from store.messages import Identity, InboundMessage

SUBJECT = "Message left in the web chat while we were away"


def offline_message(
    visitor: Visitor,
    *,
    client_id: str,
    email: str,
    name: str | None,
    text: str,
    account_id: int | None,
) -> InboundMessage:
    """An email-channel message from the address the visitor gave; the client id makes a
    resent form harmless. Its thread key is a Message-ID of our own making, so the reply we
    send starts the email thread the customer answers in."""
    key = f"{visitor.id}.{client_id}"
    return InboundMessage(
        channel="email",
        external_id=f"<widget-offline.{key}@autocrm.invalid>",
        thread_key=f"<widget-offline.{key}@autocrm.invalid>",
        sender=Identity("email", email.strip().lower(), name or None),
        text=text,
        subject=SUBJECT,
        account_id=account_id,
        meta={"widget_visitor": visitor.id, "via": "widget offline form"},
    )
