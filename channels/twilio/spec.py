"""Twilio as the gateway mounts it: one account config serves texts and calls; the SMS
adapter sends texts, and a call's replies are spoken on the call or, from a human, texted."""

from __future__ import annotations

from channels.base import ChannelSpec
from channels.twilio.account import TwilioAccount, account_from
from channels.twilio.limits import SMS_CHANNEL, SMS_LIMITS, VOICE_CHANNEL, VOICE_LIMITS
from channels.twilio.routes import router
from channels.twilio.send import SmsChannel, VoiceReplies


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


SMS = _spec(SMS_CHANNEL, SmsChannel, SMS_LIMITS)
VOICE = _spec(VOICE_CHANNEL, VoiceReplies, VOICE_LIMITS)
