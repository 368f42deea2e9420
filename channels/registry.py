"""The registered channels, by name: a new channel is one sub-package plus one line here."""

from __future__ import annotations

from typing import Any

from channels.base import ChannelSpec
from channels.email.spec import SPEC as EMAIL
from channels.slack.spec import SPEC as SLACK
from channels.twilio.spec import SMS, VOICE
from channels.webchat.spec import SPEC as WEBCHAT

SPECS: dict[str, ChannelSpec] = {spec.name: spec for spec in (EMAIL, SMS, VOICE, SLACK, WEBCHAT)}


def get(name: str) -> ChannelSpec | None:
    return SPECS.get(name)


def names() -> list[str]:
    return sorted(SPECS)


def routers() -> list[Any]:
    """Each provider webhook router once (Twilio's texts and calls share one)."""
    found: list[Any] = []
    for spec in SPECS.values():
        if spec.router is not None and all(spec.router is not r for r in found):
            found.append(spec.router)
    return found


def split_secrets(spec: ChannelSpec, values: dict[str, Any]) -> tuple[dict, dict]:
    """(public config, secrets) from a validated config dict."""
    public = {k: v for k, v in values.items() if k not in spec.secret_fields}
    secret = {k: v for k, v in values.items() if k in spec.secret_fields and v is not None}
    return public, secret
