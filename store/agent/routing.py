"""Who gets an escalated ticket: routing rules pick the team; within it, online agents whose
skills and languages fit, the least loaded one under their capacity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.agent.conditions import conditions_match
from store.agent.service import list_routing_rules
from store.staff.models import Team, User
from store.tickets.models import OPEN_CATEGORIES, Ticket


@dataclass(frozen=True)
class Assignment:
    team_id: int | None
    user_id: int | None
    why: str


async def _loads(session: AsyncSession, user_ids: list[int]) -> dict[int, int]:
    rows = await session.execute(
        select(Ticket.assignee_id, func.count())
        .where(Ticket.assignee_id.in_(user_ids), Ticket.status_category.in_(OPEN_CATEGORIES))
        .group_by(Ticket.assignee_id)
    )
    return {user_id: n for user_id, n in rows}


def _narrow(users: list[User], attr: str, wanted: str | None) -> tuple[list[User], bool]:
    """Those whose `attr` list holds `wanted`; everyone when nobody does (a ticket is better
    with someone than with no one). The flag says whether the match was real."""
    if not wanted:
        return users, False
    fit = [u for u in users if wanted.lower() in {s.lower() for s in getattr(u, attr) or []}]
    return (fit, True) if fit else (users, False)


async def pick(session: AsyncSession, *, facts: dict, now: datetime) -> Assignment:
    """facts: as agent_graph.rules.facts_of gives them; `now` for time-window conditions."""
    rule = next(
        (
            r
            for r in await list_routing_rules(session, enabled_only=True)
            if conditions_match(r.conditions, facts, now)
        ),
        None,
    )
    if rule is None:
        return Assignment(None, None, "no routing rule matched")
    team = await session.get(Team, rule.team_id)
    online = [u for u in team.members if u.is_active and u.online]
    if not online:
        return Assignment(team.id, None, f"rule {rule.name!r}: nobody in {team.name} is online")
    users, by_skill = _narrow(online, "skills", facts.get("intent"))
    users, by_lang = _narrow(users, "languages", facts.get("language"))
    loads = await _loads(session, [u.id for u in users])
    free = [u for u in users if loads.get(u.id, 0) < u.capacity]
    if not free:
        return Assignment(
            team.id, None, f"rule {rule.name!r}: everyone in {team.name} is at capacity"
        )
    chosen = min(free, key=lambda u: (loads.get(u.id, 0), u.id))
    why = (
        f"rule {rule.name!r} -> {team.name}; {chosen.name or chosen.email}: "
        f"{loads.get(chosen.id, 0)} open of {chosen.capacity}"
        + ("; skill match" if by_skill else "")
        + ("; language match" if by_lang else "")
    )
    return Assignment(team.id, chosen.id, why)
