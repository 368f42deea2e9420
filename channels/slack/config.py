"""A Slack account as an admin configures it, and the adapter's SlackApp built from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, SecretStr, model_validator

from channels.slack.adapter import SlackApp
from store.schemas import Strict

SECRET_FIELDS = frozenset({"bot_token", "signing_secret"})


class SlackConfig(Strict):
    """What an admin sends in POST /api/v1/channels {"channel": "slack", "config": {...}}."""

    bot_token: SecretStr
    signing_secret: SecretStr
    # A list, not a set: the admin API stores JSON.
    channel_ids: list[str] = Field(min_length=1)
    team_id: str | None = None
    app_id: str | None = None
    bot_user_id: str | None = None  # optional: events name our bot user in `authorizations`
    api_base_url: str = "https://slack.com/api/"
    file_url_prefix: str = "https://files.slack.com/"

    @model_validator(mode="after")
    def _is_a_slack_app(self) -> SlackConfig:
        slack_app(self.model_dump())  # the adapter's own checks (xoxb- token, secret present)
        return self


def slack_app(config: Mapping[str, Any]) -> SlackApp:
    """The adapter's SlackApp from an account's config plus secrets (extra keys ignored)."""
    values = {key: config[key] for key in SlackApp.model_fields if config.get(key) is not None}
    return SlackApp.model_validate(values)
