"""SLA rules: escalation rules that act on a ticket's `ticket.sla_breached` or
`ticket.sla_warning` (raise priority, reassign, notify a lead). CRUD, and which rules match
an event (the same conditions and matcher as the bot's escalation and routing rules); the
gateway's job applies their actions (gateway/sla_actions.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.agent.conditions import conditions_match
from store.assignment.sla_rule_schemas import SlaRuleCreate, SlaRuleUpdate
from store.errors import Invalid
from store.rows import assign, get_or_raise
from store.sla.models import SlaRule
from store.staff.models import Team, User

EVENTS = ("ticket.sla_breached", "ticket.sla_warning")


async def list_rules(session: AsyncSession, *, enabled_only: bool = False) -> list[SlaRule]:
    query = select(SlaRule).order_by(SlaRule.position, SlaRule.id)
    if enabled_only:
        query = query.where(SlaRule.enabled.is_(True))
    return list(await session.scalars(query))


async def any_rule(session: AsyncSession) -> bool:
    """Is any SLA rule enabled? (The outbox table asks before starting the actions job.)"""
    found = await session.scalar(select(SlaRule.id).where(SlaRule.enabled.is_(True)).limit(1))
    return found is not None


async def get(session: AsyncSession, *, rule_id: int) -> SlaRule:
    return await get_or_raise(session, SlaRule, rule_id, "SLA rule")


async def _check_refs(session: AsyncSession, actions: dict) -> None:
    """Teams and users the actions name exist (a clear 422 now, not a failing job later)."""
    team_id = (actions.get("reassign") or {}).get("team_id")
    if team_id is not None and await session.get(Team, team_id) is None:
        raise Invalid(f"actions.reassign.team_id: team {team_id} does not exist")
    for user_id in (actions.get("notify") or {}).get("user_ids", []):
        user = await session.get(User, user_id)
        if user is None or not user.is_active:
            raise Invalid(f"actions.notify.user_ids: user {user_id} does not exist or is inactive")


def _values(data, *, unset: bool = False) -> dict[str, Any]:
    """The columns to write: all of a create (defaults too), only those sent of an update."""
    values = data.model_dump(exclude_unset=not unset, exclude={"conditions", "actions"})
    if any(values.get(k, "") is None for k in ("name", "enabled", "position", "event")):
        raise Invalid("name, enabled, position and event cannot be null")
    if "metrics" in values and values["metrics"] is None:
        values["metrics"] = []
    if data.conditions is not None:
        values["conditions"] = data.conditions.model_dump(exclude_defaults=True)
    if data.actions is not None:
        values["actions"] = data.actions.model_dump(exclude_defaults=True)
    return values


async def create(session: AsyncSession, *, data: SlaRuleCreate) -> SlaRule:
    values = _values(data, unset=True)
    await _check_refs(session, values["actions"])
    row = SlaRule(**values)
    session.add(row)
    await session.flush()
    return row


async def update(session: AsyncSession, *, rule_id: int, changes: SlaRuleUpdate) -> SlaRule:
    row = await get(session, rule_id=rule_id)
    values = _values(changes)
    if "actions" in values:
        await _check_refs(session, values["actions"])
    assign(row, values)
    await session.flush()
    return row


async def delete(session: AsyncSession, *, rule_id: int) -> None:
    await session.delete(await get(session, rule_id=rule_id))
    await session.flush()


def matches(rule: SlaRule, *, event: str, metric: str, facts: dict, now: datetime) -> bool:
    """Does the rule act on this event of this target of a ticket with these facts?"""
    return (
        rule.event == event
        and (not rule.metrics or metric in rule.metrics)
        and conditions_match(rule.conditions or {}, facts, now)
    )


async def matching(
    session: AsyncSession, *, event: str, metric: str, facts: dict, now: datetime
) -> list[SlaRule]:
    """Every enabled rule that matches, in position order (each acts; later ones see the
    ticket as the earlier ones left it)."""
    rules = await list_rules(session, enabled_only=True)
    return [r for r in rules if matches(r, event=event, metric=metric, facts=facts, now=now)]
