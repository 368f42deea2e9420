"""A Slack app: the account as an admin configures it, and the SlackApp the adapter runs with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from store.schemas import Strict

SECRET_FIELDS = frozenset({"bot_token", "signing_secret"})

# A URL prefix ends with "/": "https://files.slack.com" would match files.slack.com.evil.example
_Prefix = Annotated[str, AfterValidator(lambda url: url if url.endswith("/") else url + "/")]


class SlackApp(BaseModel):
    """One installed Slack app: its credentials, the channels it serves and where its API lives."""

    model_config = ConfigDict(frozen=True)

    bot_token: SecretStr
    signing_secret: SecretStr
    channel_ids: frozenset[str] = Field(min_length=1)  # only these channels open tickets
    bot_user_id: str | None = None  # learned from auth.test at start-up, see identify_bot()
    api_base_url: _Prefix = "https://slack.com/api/"
    # The bot token is only ever sent to URLs under this prefix (file downloads).
    file_url_prefix: _Prefix = "https://files.slack.com/"

    @model_validator(mode="after")
    def _credentials_look_real(self) -> SlackApp:
        if not self.bot_token.get_secret_value().startswith("xoxb-"):
            raise ValueError("bot_token must be the Bot User OAuth Token (xoxb-…)")
        if not self.signing_secret.get_secret_value().strip():
            raise ValueError("signing_secret is empty: copy it from Basic Information")
        return self


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
