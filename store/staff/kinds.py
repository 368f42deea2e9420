"""Channel kinds, the unit an agent's capacity is counted in (e.g. 3 live chats, 10 emails).

Store cannot import the channel packages, so the channel names are repeated here; a channel
not listed counts as email (answered at the agent's pace, like an email)."""

from __future__ import annotations

from typing import Literal

Kind = Literal["chat", "messaging", "email", "voice"]
KINDS: tuple[str, ...] = ("chat", "messaging", "email", "voice")
# Defaults until an admin sets them (assignment settings, a team, an agent): a live chat or a
# call needs the agent's attention now; texts and emails can wait a little.
DEFAULT_CAPACITIES: dict[str, int] = {"chat": 3, "messaging": 5, "email": 10, "voice": 1}
LIVE_KINDS = ("chat",)  # live chats: reassigned when their agent goes offline (admin setting)

_BY_CHANNEL = {
    "webchat": "chat",
    "slack": "chat",
    "twilio_sms": "messaging",
    "twilio_whatsapp": "messaging",
    "twilio_voice": "voice",
    "email": "email",
    "api": "email",
}


def kind_of(channel: str | None) -> str:
    return _BY_CHANNEL.get(channel or "", "email")
