"""Portal sign-in: single-use links sent by email, and the sessions they open.

Tokens are random; only their SHA-256 digests are stored, so a copy of the database signs
nobody in. A link that adds an address to a signed-in customer names their session; redeeming
it adds the address there instead of opening a new session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import utcnow
from store.portal.models import PortalLink, PortalSession

LINK_TTL = timedelta(minutes=20)
SESSION_TTL = timedelta(days=7)
MAX_EMAILS = 10  # addresses one portal session may hold


class LinkRefused(Exception):
    """A link that signs nobody in; `reason` is expired | used | unknown."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"sign-in link {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Opened:
    token: str  # the cookie's value
    session: PortalSession


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def issue_link(
    session: AsyncSession,
    *,
    email: str,
    session_id: str | None = None,
    now: datetime | None = None,
    ttl: timedelta = LINK_TTL,
) -> str:
    """A new link's token for `email` (the caller sends it); older unused ones stay valid."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    link = PortalLink(
        digest=digest(token),
        email=normalise_email(email),
        session_id=session_id,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(link)
    await session.flush()
    return token


async def check_link(
    session: AsyncSession, *, token: str, now: datetime | None = None
) -> PortalLink:
    """The link behind `token` if it can still sign in; raises LinkRefused otherwise."""
    now = now or utcnow()
    link = await session.scalar(select(PortalLink).where(PortalLink.digest == digest(token)))
    if link is None:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= now:
        raise LinkRefused("expired")
    return link


async def redeem_link(session: AsyncSession, *, token: str, now: datetime | None = None) -> Opened:
    """Use the link up and sign in: into the session it names when that one is still live
    (the address is added), else into a new session. Raises LinkRefused."""
    now = now or utcnow()
    link = await check_link(session, token=token, now=now)
    link.used_at = now
    await session.flush()
    current = await session.get(PortalSession, link.session_id) if link.session_id else None
    if current is not None and current.expires_at > now:
        if link.email not in current.emails:
            current.emails = [*current.emails, link.email][-MAX_EMAILS:]
        # The cookie changes at every sign-in: a token seen before the link was used is dead.
        await session.delete(current)
        await session.flush()
        return await _open(session, emails=list(current.emails), now=now)
    return await _open(session, emails=[link.email], now=now)


async def _open(session: AsyncSession, *, emails: list[str], now: datetime) -> Opened:
    token = secrets.token_urlsafe(32)
    row = PortalSession(
        id=digest(token),
        emails=emails,
        csrf=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + SESSION_TTL,
    )
    session.add(row)
    await session.flush()
    return Opened(token, row)


async def get_live(
    session: AsyncSession, *, token: str, now: datetime | None = None
) -> PortalSession | None:
    if not token:
        return None
    row = await session.get(PortalSession, digest(token))
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return row


async def sign_out(session: AsyncSession, *, token: str) -> None:
    await session.execute(delete(PortalSession).where(PortalSession.id == digest(token)))


async def forget_expired(session: AsyncSession, *, now: datetime | None = None) -> None:
    """Drop ended sessions and links (called on sign-in, so the tables stay small)."""
    now = now or utcnow()
    await session.execute(delete(PortalSession).where(PortalSession.expires_at <= now))
    await session.execute(delete(PortalLink).where(PortalLink.expires_at <= now - LINK_TTL))
