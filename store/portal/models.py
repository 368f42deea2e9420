"""The customer portal's tables: magic sign-in links, portal sessions, ticket ratings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, utcnow


class PortalLink(Base):
    """A sign-in link sent by email. Only the token's digest is kept: the database alone
    cannot sign anybody in. `used_at` makes it single use."""

    __tablename__ = "portal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    session_id: Mapped[str | None] = mapped_column(String(64))  # adds to this session if live
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PortalSession(Base):
    """A signed-in customer: the email addresses they proved they read (one link each)."""

    __tablename__ = "portal_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # digest of the cookie token
    emails: Mapped[list] = mapped_column(default=list)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class TicketRating(Base):
    """The customer's satisfaction score (CSAT, 1-5) for a ticket; rating again replaces it."""

    __tablename__ = "ticket_ratings"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
