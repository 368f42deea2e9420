"""Sliding-window counters in the database, which every gateway process shares.

A bucket names what is counted ("login-account", "login-address", "widget-address") and for
whom (a hash of the email or the address). A bucket is full when it holds `limit` hits within
`window`; it opens again when the oldest of those leaves the window.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import utcnow
from store.staff.session_models import ThrottleHit


def bucket(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()}"


async def wait_seconds(session: AsyncSession, *, bucket: str, limit: int, window: timedelta) -> int:
    """0 while the bucket has room; else whole seconds until it has (for Retry-After)."""
    now = utcnow()
    # The limit-th most recent hit in the window: when it leaves, there is room again.
    at = await session.scalar(
        select(ThrottleHit.at)
        .where(ThrottleHit.bucket == bucket, ThrottleHit.at > now - window)
        .order_by(ThrottleHit.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if at is None:
        return 0
    return max(1, math.ceil((at + window - now).total_seconds()))


async def hit(session: AsyncSession, *, bucket: str, keep: timedelta) -> None:
    """Count one attempt; hits older than `keep` (the longest window) are dropped meanwhile."""
    now = utcnow()
    await session.execute(delete(ThrottleHit).where(ThrottleHit.at < now - keep))
    session.add(ThrottleHit(bucket=bucket, at=now))
    await session.flush()


async def clear(session: AsyncSession, *, bucket: str) -> None:
    await session.execute(delete(ThrottleHit).where(ThrottleHit.bucket == bucket))
