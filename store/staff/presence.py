"""Agent presence (online | away | offline), kept in the database so every gateway sees it.

A stored state counts while the agent's console heartbeat is fresher than the heartbeat TTL:
a crashed gateway's agents stop heartbeating and count as offline at once, and the sweep
(every gateway runs it) writes the change down. Every change writes `user.presence_changed`
in the same transaction. The timings are the admin's (store/assignment/presence.py passes
them in), so this module needs nothing above staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import SYSTEM, Actor
from store.errors import Invalid, NotFound
from store.outbox.service import emit
from store.staff.models import PRESENCE_STATES, User

PRESENCE_EVENT = "user.presence_changed"


@dataclass(frozen=True)
class Timing:
    ttl: timedelta  # a heartbeat older than this: offline
    idle: timedelta | None  # online -> away after this long with no activity (None: never)
    grace: timedelta  # offline this long after the agent's last console closed


def effective(user: User | Row, *, now: datetime, ttl: timedelta) -> str:
    """The state that counts now: the stored one while the heartbeat is fresh (`user`: a User
    or a row with its presence and presence_seen_at)."""
    seen = user.presence_seen_at
    if user.presence != "offline" and seen is not None and seen >= now - ttl:
        return user.presence
    return "offline"


def fresh(now: datetime, ttl: timedelta):
    """SQL: the agent is online and heartbeating (what assignment asks of a candidate)."""
    return (User.presence == "online") & (User.presence_seen_at >= now - ttl)


async def _locked(session: AsyncSession, user_id: int) -> User:
    query = (
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    user = await session.scalar(query)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def _record(session, user: User, previous: str, *, now: datetime, reason: str, actor: Actor):
    """Write the change's event when the state that counts changed."""
    if previous == user.presence:
        return
    user.presence_changed_at = now
    payload = {
        "user_id": user.id,
        "name": user.name or user.email,
        "presence": user.presence,
        "previous": previous,
        "reason": reason,
        "changed_at": now.isoformat(),
    }
    emit(session, PRESENCE_EVENT, actor=actor, payload=payload)


async def set_presence(
    session: AsyncSession,
    *,
    user_id: int,
    state: str,
    now: datetime,
    timing: Timing,
    actor: Actor,
    reason: str = "set",
) -> User:
    """The agent (or an admin) chose a state; choosing one counts as a heartbeat."""
    if state not in PRESENCE_STATES:
        raise Invalid(f"presence must be one of {', '.join(PRESENCE_STATES)}")
    user = await _locked(session, user_id)
    previous = effective(user, now=now, ttl=timing.ttl)
    user.presence = state
    user.presence_seen_at = now
    if state == "online":
        user.presence_active_at = now
    _record(session, user, previous, now=now, reason=reason, actor=actor)
    await session.flush()
    return user


def start_online(session: AsyncSession, user: User, *, now: datetime, actor: Actor) -> None:
    """A new user created present (the old `online=True`), as if their console had opened."""
    previous = user.presence
    user.presence, user.presence_seen_at, user.presence_active_at = "online", now, now
    _record(session, user, previous, now=now, reason="created online", actor=actor)


async def connected(
    session: AsyncSession, *, user_id: int, now: datetime, timing: Timing, actor: Actor
) -> User:
    """A console opened: online, unless the agent is already present (away stays away)."""
    user = await _locked(session, user_id)
    previous = effective(user, now=now, ttl=timing.ttl)
    user.presence_seen_at = user.presence_active_at = now
    if previous == "offline":
        user.presence = "online"
    _record(session, user, previous, now=now, reason="console opened", actor=actor)
    await session.flush()
    return user


async def heartbeat(session: AsyncSession, *, user_id: int, now: datetime, active: bool) -> None:
    """A console is still open (`active`: and someone used it since the last beat).

    One UPDATE, no event: heartbeats come every few seconds from every console."""
    values = {"presence_seen_at": now} | ({"presence_active_at": now} if active else {})
    await session.execute(update(User).where(User.id == user_id).values(**values))


async def disconnected(
    session: AsyncSession, *, user_id: int, now: datetime, timing: Timing
) -> None:
    """The agent's last console on this gateway closed: the heartbeat is set back so that it
    goes stale `grace` from now. A console open on another gateway beats again before then."""
    seen = now - timing.ttl + timing.grace
    query = update(User).where(User.id == user_id, User.presence != "offline")
    await session.execute(query.values(presence_seen_at=seen))


async def _turn(session, row, state: str, condition, *, now: datetime, reason: str) -> bool:
    """Conditional UPDATE, so two gateways sweeping at once record one change."""
    user_id, previous = row.id, row.presence
    query = update(User).where(User.id == user_id, User.presence == previous, condition)
    result = await session.execute(query.values(presence=state, presence_changed_at=now))
    if result.rowcount != 1:
        return False
    user = await session.get(User, user_id)
    user.presence = state  # the ORM copy, as the UPDATE left it
    _record(session, user, previous, now=now, reason=reason, actor=SYSTEM)
    return True


async def sweep(session: AsyncSession, *, now: datetime, timing: Timing) -> list[tuple[int, str]]:
    """Stale heartbeats -> offline; online with no activity for `idle` -> away.
    Returns the (user id, new state) it changed."""
    stale = or_(User.presence_seen_at.is_(None), User.presence_seen_at < now - timing.ttl)
    changed = []
    query = select(User.id, User.presence).where(User.presence != "offline", stale)
    for row in (await session.execute(query)).all():
        if await _turn(session, row, "offline", stale, now=now, reason="heartbeat expired"):
            changed.append((row.id, "offline"))
    if timing.idle is not None:
        idle = or_(User.presence_active_at.is_(None), User.presence_active_at < now - timing.idle)
        query = select(User.id, User.presence).where(User.presence == "online", idle)
        for row in (await session.execute(query)).all():
            if await _turn(session, row, "away", idle, now=now, reason="idle"):
                changed.append((row.id, "away"))
    await session.flush()
    return changed
