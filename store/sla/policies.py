"""SLA policies: create, read, update, delete, and the one that applies to a ticket (the most
specific: channel and team, then team, then channel, then neither; among those, only a
policy with targets for the ticket's priority applies)."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import delete as sa_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import utcnow
from store.errors import Conflict, Invalid
from store.rows import get_or_raise
from store.sla.models import SlaClock, SlaPolicy
from store.sla.schemas import SlaPolicyCreate, SlaPolicyUpdate
from store.staff.models import Team


class TicketFacts(Protocol):
    """What the SLA reads of a ticket (store.tickets.models.Ticket has it)."""

    id: int
    priority: str
    channel: str
    team_id: int | None


def scope_of(channel: str | None, team_id: int | None) -> str:
    return f"{channel or '*'}|{team_id or '*'}"


def specificity(policy: SlaPolicy) -> int:
    """Team beats channel: a team's promises hold on every channel it serves."""
    return (2 if policy.team_id is not None else 0) + (1 if policy.channel else 0)


def applies(policy: SlaPolicy, ticket: TicketFacts) -> bool:
    return (
        (policy.channel is None or policy.channel == ticket.channel)
        and (policy.team_id is None or policy.team_id == ticket.team_id)
        and bool(policy.targets.get(ticket.priority))
    )


def choose(policies: list[SlaPolicy], ticket: TicketFacts) -> SlaPolicy | None:
    matching = [p for p in policies if applies(p, ticket)]
    return max(matching, key=specificity, default=None)


async def list_policies(session: AsyncSession) -> list[SlaPolicy]:
    return list(await session.scalars(select(SlaPolicy).order_by(SlaPolicy.id)))


async def any_policy(session: AsyncSession) -> bool:
    """Is any SLA configured? (The outbox table asks before starting clock jobs.)"""
    return await session.scalar(select(SlaPolicy.id).limit(1)) is not None


async def policy_for(session: AsyncSession, ticket: TicketFacts) -> SlaPolicy | None:
    return choose(await list_policies(session), ticket)


async def get(session: AsyncSession, *, policy_id: int) -> SlaPolicy:
    return await get_or_raise(session, SlaPolicy, policy_id, "SLA policy")


async def _check_scope(session: AsyncSession, policy: SlaPolicy) -> None:
    if policy.team_id is not None and await session.get(Team, policy.team_id) is None:
        raise Invalid(f"team {policy.team_id} does not exist")
    policy.scope = scope_of(policy.channel, policy.team_id)
    query = select(SlaPolicy).where(SlaPolicy.scope == policy.scope)
    if policy.id is not None:
        query = query.where(SlaPolicy.id != policy.id)
    with session.no_autoflush:  # the changed row must not hit the unique index first
        other = await session.scalar(query)
    if other is not None:
        raise Conflict(
            f"policy {other.id} ({other.name!r}) already covers channel "
            f"{policy.channel or 'any'} and team {policy.team_id or 'any'}; change that one"
        )


def _targets(data: dict[str, Any]) -> dict[str, Any]:
    return {priority: {k: v for k, v in t.items() if v} for priority, t in data.items()}


async def create(session: AsyncSession, *, data: SlaPolicyCreate) -> SlaPolicy:
    values = data.model_dump()
    values["targets"] = _targets(values["targets"])
    policy = SlaPolicy(**values)
    await _check_scope(session, policy)
    session.add(policy)
    await session.flush()
    return policy


async def update(session: AsyncSession, *, policy_id: int, changes: SlaPolicyUpdate) -> SlaPolicy:
    policy = await get(session, policy_id=policy_id)
    values = changes.model_dump(exclude_unset=True)
    if values.get("name", "") is None or values.get("warn_percent", 0) is None:
        raise Invalid("name and warn_percent cannot be null")
    if "targets" in values:
        if values["targets"] is None:
            raise Invalid("targets cannot be null")
        values["targets"] = _targets(values["targets"])
    for key, value in values.items():
        setattr(policy, key, value)
    await _check_scope(session, policy)
    policy.updated_at = utcnow()
    await session.flush()
    return policy


async def delete(session: AsyncSession, *, policy_id: int) -> None:
    """Its clocks go with it; tickets take another policy's at their next event."""
    policy = await get(session, policy_id=policy_id)
    await session.execute(sa_delete(SlaClock).where(SlaClock.policy_id == policy_id))
    await session.delete(policy)
    await session.flush()
