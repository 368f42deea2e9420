"""Presence verbs with the admin's timings (heartbeat TTL, idle time, offline grace): what the
console socket, the API and every gateway's sweep call (store/staff/presence.py does the work)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.assignment.selection import loads
from store.assignment.settings import get_settings, timing
from store.staff import presence
from store.staff.models import User, team_members
from store.staff.schemas import UserRead


async def _timing(session: AsyncSession) -> presence.Timing:
    return timing(await get_settings(session))


async def set_presence(
    session: AsyncSession, *, user_id: int, state: str, actor: Actor, now: datetime
) -> User:
    """The agent's toggle, `PATCH /api/v1/me` and an admin's `PATCH /api/v1/users/{id}`."""
    by = actor.name or actor.kind
    return await presence.set_presence(
        session,
        user_id=user_id,
        state=state,
        now=now,
        timing=await _timing(session),
        actor=actor,
        reason="set" if (actor.kind, actor.id) == ("user", user_id) else f"set by {by}",
    )


async def connected(session: AsyncSession, *, user_id: int, actor: Actor, now: datetime) -> User:
    return await presence.connected(
        session, user_id=user_id, now=now, timing=await _timing(session), actor=actor
    )


async def heartbeat(session: AsyncSession, *, user_id: int, active: bool, now: datetime) -> str:
    """Refresh the agent's heartbeat; the presence that counts now."""
    await presence.heartbeat(session, user_id=user_id, now=now, active=active)
    row = (
        await session.execute(
            select(User.presence, User.presence_seen_at).where(User.id == user_id)
        )
    ).one_or_none()
    if row is None:
        return "offline"
    return presence.effective(row, now=now, ttl=(await _timing(session)).ttl)


async def disconnected(session: AsyncSession, *, user_id: int, now: datetime) -> None:
    await presence.disconnected(session, user_id=user_id, now=now, timing=await _timing(session))


async def sweep(session: AsyncSession, *, now: datetime) -> list[tuple[int, str]]:
    return await presence.sweep(session, now=now, timing=await _timing(session))


async def current(session: AsyncSession, users: list[User], *, now: datetime) -> dict[int, str]:
    """Each user's presence as it counts now (a stale heartbeat reads offline)."""
    ttl = (await _timing(session)).ttl
    return {u.id: presence.effective(u, now=now, ttl=ttl) for u in users}


async def read_users(session: AsyncSession, users: list[User], *, now: datetime) -> list[UserRead]:
    """Users as the API shows them to admins: presence as it counts now, and open load."""
    states = await current(session, users, now=now)
    load = await loads(session, [u.id for u in users])
    return [
        UserRead.model_validate(u).model_copy(
            update={
                "presence": states[u.id],
                "online": states[u.id] == "online",
                "load": load[u.id].total,
                "load_by_kind": load[u.id].by_kind,
            }
        )
        for u in users
    ]


async def agents_online(session: AsyncSession, *, now: datetime, team_id: int | None = None) -> int:
    """How many active agents are online now (of a team): e.g. whether the widget offers its
    offline form."""
    ttl = (await _timing(session)).ttl
    query = select(func.count(User.id)).where(User.is_active.is_(True), presence.fresh(now, ttl))
    if team_id is not None:
        query = query.join(team_members, team_members.c.user_id == User.id).where(
            team_members.c.team_id == team_id
        )
    return await session.scalar(query) or 0


async def team_ids_of(session: AsyncSession, *, user_id: int) -> list[int]:
    rows = await session.scalars(
        select(team_members.c.team_id).where(team_members.c.user_id == user_id)
    )
    return list(rows)
