"""Twilio as the gateway mounts it: one account config serves texts and calls; the SMS
adapter sends texts, and a call's replies are spoken on the call or, from a human, texted."""

from __future__ import annotations

from channels.base import ChannelSpec
from channels.twilio import sms, voice
from channels.twilio.common import TwilioAccount
from channels.twilio.routes import router
from channels.twilio.sms import SmsChannel
from channels.twilio.webhooks import account_from
from store.messages import OutboundMessage, Receipt


class VoiceReplies:
    """Replies on a call's ticket: the bot's were spoken on the call, a human's go out by SMS."""

    name = voice.CHANNEL
    limits = voice.LIMITS  # what the agent must respect when it answers a caller

    def __init__(self, account: TwilioAccount):
        self.sms = SmsChannel(account)

    async def send(self, outbound: OutboundMessage) -> Receipt:
        if outbound.automated:
            # The poll route read it to the caller; a text repeating it would be noise.
            return Receipt(f"spoken:{outbound.message_id}", meta={"delivered_by": "voice"})
        return await self.sms.send(outbound)


def _spec(name: str, adapter: type, limits) -> ChannelSpec:
    return ChannelSpec(
        name,
        limits=limits,
        config_model=TwilioAccount,
        secret_fields=frozenset({"auth_token"}),
        build=lambda config, _id: adapter(account_from(config)),
        address_of=lambda config: config.get("number", ""),
        router=router,
    )


SMS = _spec(sms.CHANNEL, SmsChannel, sms.LIMITS)
VOICE = _spec(voice.CHANNEL, VoiceReplies, voice.LIMITS)
