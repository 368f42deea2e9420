"""A Twilio number as an admin configures it: credentials, public webhook URLs, business hours."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_serializer, field_validator

E164 = r"^\+[1-9]\d{1,14}$"


class BusinessHours(BaseModel):
    """When a human can take a transferred call. Days are ISO-ish: 0 = Monday ... 6 = Sunday."""

    timezone: str = "UTC"
    days: set[int] = Field(default_factory=lambda: {0, 1, 2, 3, 4})
    opens: time = time(9, 0)
    closes: time = time(17, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:  # an unknown zone fails at config time rather than mid-call
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    # Stored as JSON in the account config: a set and time objects would not serialise.
    @field_serializer("days")
    def _days_list(self, days: set[int]) -> list[int]:
        return sorted(days)

    @field_serializer("opens", "closes")
    def _time_text(self, value: time) -> str:
        return value.isoformat(timespec="minutes")

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone))
        return local.weekday() in self.days and self.opens <= local.time() < self.closes


class TwilioAccount(BaseModel):
    """One Twilio number we answer on. Paths are where the gateway mounts the webhooks."""

    account_sid: str = Field(pattern=r"^AC\w{32}$")
    auth_token: SecretStr
    number: str = Field(pattern=E164)
    public_base_url: str  # what Twilio calls, e.g. https://support.example.com (behind the proxy)
    agent_dial_number: str | None = Field(default=None, pattern=E164)
    business_hours: BusinessHours | None = None  # None: a human may be dialled at any time
    api_base_url: str | None = None  # tests: a loopback double instead of https://api.twilio.com
    timeout: float = 10.0
    voice_language: str = "en-US"
    voice: str | None = None  # e.g. "Polly.Joanna"; None = Twilio's default voice
    # record: we transcribe the audio locally; gather: Twilio's recogniser sends SpeechResult
    listen_mode: Literal["record", "gather"] = "record"
    sms_path: str = "/channels/twilio/sms"  # set in the Twilio console for the number
    voice_path: str = "/channels/twilio/voice"  # likewise
    sms_status_path: str = "/channels/twilio/sms/status"
    voice_recorded_path: str = "/channels/twilio/voice/recorded"
    voice_recording_status_path: str = "/channels/twilio/voice/recording"
    voice_gather_path: str = "/channels/twilio/voice/gather"
    voice_poll_path: str = "/channels/twilio/voice/poll"
    voice_dial_status_path: str = "/channels/twilio/voice/dial"

    @field_validator("public_base_url", "api_base_url")
    @classmethod
    def _no_trailing_slash(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL")
        return v.rstrip("/") if v else v

    def url(self, path: str, **query: Any) -> str:
        """The public URL Twilio requests for `path` (what it signs, so what we verify)."""
        url = self.public_base_url + "/" + path.lstrip("/")
        pairs = {k: v for k, v in query.items() if v is not None}
        return f"{url}?{urlencode(pairs)}" if pairs else url


def account_from(config: dict[str, Any]) -> TwilioAccount:
    """The account from its stored config plus secrets."""
    return TwilioAccount.model_validate(config)
