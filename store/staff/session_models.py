"""Signing in: server-side staff sessions, the throttle's record of attempts, their reads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, utcnow


class StaffSession(Base):
    """One signed-in browser. The cookie holds a random token; only its sha256 is stored here,
    so a copy of the database signs nobody in. A row counts while it is not revoked, was used
    within the idle limit and is younger than `expires_at`."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # For the "signed in on" list an admin or the user reads; never used to decide anything.
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")


class ThrottleHit(Base):
    """One counted attempt (a failed sign-in, a new widget visitor) in a throttle bucket.

    `bucket` is "<kind>:<sha256 of the value>" (an account's email, a client address), so the
    table never holds what someone typed into the email field."""

    __tablename__ = "throttle_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StaffSessionRead(BaseModel):
    """A signed-in browser, as an admin sees it (never the token or the CSRF token)."""

    model_config = ConfigDict(from_attributes=True)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str


class SessionsRevoked(BaseModel):
    revoked: int  # how many sessions were live
