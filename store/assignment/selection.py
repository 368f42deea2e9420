"""Who, within a team, can take a ticket now: active agents who are online (fresh heartbeat)
and under their capacity for the ticket's channel kind and in all; those with a matching skill
(intent, channel) and language first; the least loaded first, round robin among equals (the
one assigned longest ago first)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.assignment.models import AssignmentSettings
from store.assignment.settings import capacity_for, timing
from store.staff.kinds import kind_of
from store.staff.models import Team, User, team_members
from store.staff.presence import fresh
from store.tickets.models import OPEN_CATEGORIES, Ticket

NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Load:
    """An agent's open tickets: per channel kind, and in all."""

    by_kind: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def of(self, kind: str) -> int:
        return self.by_kind.get(kind, 0)


@dataclass(frozen=True)
class Candidate:
    user: User
    load: Load
    kind: str  # the ticket's channel kind
    capacity: int  # the agent's for that kind
    matched: tuple[str, ...] = ()  # "skill match", "language match", ...

    @property
    def why(self) -> str:
        who = self.user.name or self.user.email
        load = f"{who}: {self.load.of(self.kind)} of {self.capacity} {self.kind}"
        load += f", {self.load.total} open of {self.user.capacity}"
        return "; ".join([load, *self.matched])


async def loads(session: AsyncSession, user_ids: list[int]) -> dict[int, Load]:
    """Open tickets (new, open, pending) assigned to each agent, by channel kind."""
    counts: dict[int, dict[str, int]] = {i: defaultdict(int) for i in user_ids}
    if user_ids:
        rows = await session.execute(
            select(Ticket.assignee_id, Ticket.channel, func.count())
            .where(Ticket.assignee_id.in_(user_ids), Ticket.status_category.in_(OPEN_CATEGORIES))
            .group_by(Ticket.assignee_id, Ticket.channel)
        )
        for user_id, channel, n in rows:
            counts[user_id][kind_of(channel)] += n
    return {i: Load(dict(c)) for i, c in counts.items()}


async def online_members(
    session: AsyncSession, *, team: Team | None, now: datetime, conf: AssignmentSettings
) -> list[User]:
    """Active agents of the team (no team: everyone) who are online now."""
    query = select(User).where(User.is_active.is_(True), fresh(now, timing(conf).ttl))
    if team is not None:
        query = query.join(team_members, team_members.c.user_id == User.id).where(
            team_members.c.team_id == team.id
        )
    return list(await session.scalars(query.order_by(User.id)))


def has_room(conf: AssignmentSettings, user: User, team: Team | None, kind: str, load: Load):
    return load.of(kind) < capacity_for(conf, user, team, kind) and load.total < user.capacity


def _narrow(found: list[Candidate], attr: str, wanted: set[str], label: str) -> list[Candidate]:
    """Those whose `attr` list holds one of `wanted`; all of them when nobody does (a ticket is
    better with someone than with no one)."""
    wanted = {w.lower() for w in wanted if w}
    if not wanted:
        return found
    fit = [c for c in found if wanted & {s.lower() for s in getattr(c.user, attr) or []}]
    if not fit:
        return found
    return [replace(c, matched=(*c.matched, label)) for c in fit]


def _order(c: Candidate, kind: str) -> tuple:
    return (c.load.of(kind), c.load.total, c.user.last_assigned_at or NEVER, c.user.id)


async def ranked(
    session: AsyncSession,
    *,
    team: Team | None,
    kind: str,
    facts: dict,
    now: datetime,
    conf: AssignmentSettings,
) -> tuple[list[Candidate], str]:
    """The agents who can take the ticket, best first; when none, why not."""
    where = team.name if team else "any team"
    users = await online_members(session, team=team, now=now, conf=conf)
    if not users:
        return [], f"nobody in {where} is online"
    load = await loads(session, [u.id for u in users])
    found = [
        Candidate(u, load[u.id], kind, capacity_for(conf, u, team, kind))
        for u in users
        if has_room(conf, u, team, kind, load[u.id])
    ]
    if not found:
        return [], f"everyone online in {where} is at capacity for {kind}"
    found = _narrow(found, "skills", {facts.get("intent") or ""}, "skill match")
    found = _narrow(found, "languages", {facts.get("language") or ""}, "language match")
    channel = facts.get("channel") or ""
    found = _narrow(found, "skills", {channel, kind_of(channel)}, "channel match")
    return sorted(found, key=lambda c: _order(c, kind)), ""
