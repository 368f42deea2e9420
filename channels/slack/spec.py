"""Slack as the gateway mounts it."""

from __future__ import annotations

from typing import Any

from channels.base import ChannelSpec
from channels.slack.config import SECRET_FIELDS, SlackConfig, slack_app
from channels.slack.limits import LIMITS, NAME
from channels.slack.routes import router
from channels.slack.send import SlackChannel


def _build(config: dict[str, Any], account_id: int | None) -> SlackChannel:
    return SlackChannel(slack_app(config))


SPEC = ChannelSpec(
    name=NAME,
    limits=LIMITS,
    config_model=SlackConfig,
    secret_fields=SECRET_FIELDS,
    build=_build,
    address_of=lambda config: config.get("team_id") or config.get("app_id") or "",
    router=router,
)
