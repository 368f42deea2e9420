"""SLA rules (admin): escalation rules that act when a ticket's SLA warns or breaches (raise
priority, reassign, notify a lead); gateway/sla_actions.py applies them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from channels import registry
from gateway.deps import Admin, Session
from store.assignment import sla_rules
from store.assignment.sla_rule_schemas import SlaRuleCreate, SlaRuleRead, SlaRuleUpdate
from store.errors import Invalid
from store.tickets.api_channel import NAME as API_CHANNEL

router = APIRouter(prefix="/sla-rules", tags=["sla"])  # under /api/v1 (routes/sla.py)


def known_channel(channel: str) -> None:
    """As routes/sla.py: a channel the gateway serves (the store cannot know the registry)."""
    known = [*registry.names(), API_CHANNEL]
    if channel not in known:
        raise Invalid(f"unknown channel {channel!r}; channels: {', '.join(known)}")


@router.get("", response_model=list[SlaRuleRead])
async def list_rules(session: Session, who: Admin):
    return await sla_rules.list_rules(session)


@router.post("", status_code=201, response_model=SlaRuleRead)
async def create_rule(data: SlaRuleCreate, session: Session, who: Admin):
    for channel in data.conditions.channels:
        known_channel(channel)
    return await sla_rules.create(session, data=data)


@router.get("/{rule_id}", response_model=SlaRuleRead)
async def get_rule(rule_id: int, session: Session, who: Admin):
    return await sla_rules.get(session, rule_id=rule_id)


@router.patch("/{rule_id}", response_model=SlaRuleRead)
async def update_rule(rule_id: int, data: SlaRuleUpdate, session: Session, who: Admin):
    for channel in data.conditions.channels if data.conditions else ():
        known_channel(channel)
    return await sla_rules.update(session, rule_id=rule_id, changes=data)


@router.delete("/{rule_id}", status_code=204)
async def delete_rule(rule_id: int, session: Session, who: Admin):
    await sla_rules.delete(session, rule_id=rule_id)
    return Response(status_code=204)
