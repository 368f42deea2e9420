"""Server-side staff sessions: start one, find a live one, note its use, revoke it.

The browser's cookie carries a random token; the row is keyed by its sha256. A session ends
when it is revoked (sign-out, an admin, the user's deactivation or new password), when it was
not used for IDLE, or ABSOLUTE after sign-in, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import utcnow
from store.staff.session_models import StaffSession

# An agent's shift with the console open counts as use (every page and API call touches it).
IDLE = timedelta(hours=12)
ABSOLUTE = timedelta(days=7)
# last_seen_at is written at most this often, so a busy console does not write per request.
TOUCH_EVERY = timedelta(minutes=1)
# Ended sessions stay listed this long (who signed in from where), then go.
KEEP_ENDED = timedelta(days=30)


def digest(token: str) -> str:
    # Tokens are 256-bit random strings: a fast hash is enough, as for API keys.
    return hashlib.sha256(token.encode()).hexdigest()


def is_live(row: StaffSession, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return row.revoked_at is None and now < row.expires_at and now - row.last_seen_at < IDLE


async def start(
    session: AsyncSession, *, user_id: int, user_agent: str = "", ip: str = ""
) -> tuple[StaffSession, str]:
    """A new session for the user; returns the row and the token for the cookie (shown once)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        id=digest(token),
        user_id=user_id,
        csrf=secrets.token_urlsafe(24),
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE,
        user_agent=user_agent[:300],
        ip=ip[:64],
    )
    session.add(row)
    await _forget_ended(session, user_id=user_id, now=now)
    await session.flush()
    return row, token


async def get_live(session: AsyncSession, *, token: str) -> StaffSession | None:
    """The session a cookie token names, or None when unknown, revoked, idle or expired."""
    if not token or len(token) > 200:
        return None
    row = await session.get(StaffSession, digest(token))
    return row if row is not None and is_live(row) else None


async def touch(session: AsyncSession, *, session_id: str) -> None:
    """Note that the session was used (at most once per TOUCH_EVERY: one guarded UPDATE)."""
    now = utcnow()
    await session.execute(
        update(StaffSession)
        .where(StaffSession.id == session_id, StaffSession.last_seen_at < now - TOUCH_EVERY)
        .values(last_seen_at=now)
    )


async def revoke(session: AsyncSession, *, session_id: str) -> None:
    await session.execute(
        update(StaffSession)
        .where(StaffSession.id == session_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_for_user(session: AsyncSession, *, user_id: int) -> int:
    """End every session of the user (all browsers); returns how many were live."""
    live = await list_live(session, user_id=user_id)
    if live:
        await session.execute(
            update(StaffSession)
            .where(StaffSession.id.in_([row.id for row in live]))
            .values(revoked_at=utcnow())
        )
    return len(live)


async def list_live(session: AsyncSession, *, user_id: int) -> list[StaffSession]:
    rows = await session.scalars(
        select(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
        .order_by(StaffSession.created_at)
    )
    now = utcnow()
    return [row for row in rows if is_live(row, now)]


async def _forget_ended(session: AsyncSession, *, user_id: int, now: datetime) -> None:
    # Done at each sign-in, per user (indexed), so the table never needs a sweeper.
    await session.execute(
        delete(StaffSession).where(
            StaffSession.user_id == user_id,
            or_(
                StaffSession.expires_at < now - KEEP_ENDED,
                StaffSession.revoked_at < now - KEEP_ENDED,
                StaffSession.last_seen_at < now - IDLE - KEEP_ENDED,
            ),
        )
    )
