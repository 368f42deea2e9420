"""A web chat widget as an admin configures it: key, identity secret, origins, rate limits."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from channels.webchat.limits import LIMITS


class WidgetConfig(BaseModel):
    """One embeddable widget. `widget_key` is public (it is in the host page's HTML)."""

    widget_key: str = Field(min_length=8, max_length=100)
    secret: SecretStr | None = None  # signs host-site user ids; unset = no verified identities
    allowed_origins: list[str] = Field(default_factory=list)  # empty = any site may embed
    max_text: int = Field(default=LIMITS.max_text, ge=1, le=50_000)
    # Per connection: a burst of `rate_burst` messages, refilled at `rate_per_minute`.
    rate_per_minute: int = Field(default=30, ge=1)
    rate_burst: int = Field(default=10, ge=1)
    max_upload_bytes: int = Field(default=10_000_000, ge=1)
    # New conversations one client address may open in 10 minutes (more behind a big NAT).
    new_chats_per_address: int = Field(default=30, ge=1, le=1_000_000)
