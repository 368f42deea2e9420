"""Which team a ticket goes to: the first enabled routing rule (by position) whose conditions
match the ticket's facts, else the admin's default team, else everyone (no team)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from store.agent.conditions import conditions_match
from store.agent.service import list_routing_rules
from store.contacts.models import Contact
from store.staff.models import Team
from store.tickets.models import Message, Ticket


async def get_team(session: AsyncSession, team_id: int | None) -> Team | None:
    """The team without its members (the model loads them eagerly; routing needs its id, name
    and capacities, and selection reads the members it wants in one query)."""
    if team_id is None:
        return None
    return await session.get(Team, team_id, options=[lazyload(Team.members)])


async def facts_of_ticket(session: AsyncSession, ticket: Ticket) -> dict:
    """The facts routing rules read, from the stored ticket (no bot turn to take them from):
    its channel, language, tags and priority, the contact's VIP flag and attributes, and the
    customer's latest message."""
    contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    text = await session.scalar(
        select(Message.text)
        .where(Message.ticket_id == ticket.id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    )
    return {
        "text": text or "",
        "vip": bool(contact and contact.vip),
        "channel": ticket.channel,
        "language": ticket.language,
        "tags": list(ticket.tags),
        "priority": ticket.priority,
        "contact_attributes": dict(contact.attributes or {}) if contact else {},
    }


async def team_for(
    session: AsyncSession, *, facts: dict, now: datetime, default_team_id: int | None
) -> tuple[Team | None, str]:
    """(team, why); `now` for rules with a time window. No team: every active agent."""
    for rule in await list_routing_rules(session, enabled_only=True):
        if conditions_match(rule.conditions, facts, now):
            team = await get_team(session, rule.team_id)
            return team, f"rule {rule.name!r} -> {team.name}"
    if default_team_id is not None:
        team = await get_team(session, default_team_id)
        if team is not None:
            return team, f"no routing rule matched -> default team {team.name}"
    return None, "no routing rule matched, no default team -> any agent"
