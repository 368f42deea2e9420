"""SLA policies (admin): targets per priority for a channel and/or team, counted in the
ticket team's business hours."""

from __future__ import annotations

from fastapi import APIRouter, Response

from channels import registry
from gateway.deps import Admin, Session
from gateway.routes import sla_rules
from store.errors import Invalid
from store.sla import policies
from store.sla.schemas import SlaPolicyCreate, SlaPolicyRead, SlaPolicyUpdate
from store.tickets.api_channel import NAME as API_CHANNEL

router = APIRouter(prefix="/api/v1", tags=["sla"])  # SLA rules join it (end of file)


def known_channel(channel: str | None) -> None:
    """A channel the gateway serves (the store cannot know the channel registry)."""
    known = [*registry.names(), API_CHANNEL]
    if channel is not None and channel not in known:
        raise Invalid(f"unknown channel {channel!r}; channels: {', '.join(known)}")


@router.get("/sla-policies", response_model=list[SlaPolicyRead])
async def list_policies(session: Session, who: Admin):
    return await policies.list_policies(session)


@router.post("/sla-policies", status_code=201, response_model=SlaPolicyRead)
async def create_policy(data: SlaPolicyCreate, session: Session, who: Admin):
    known_channel(data.channel)
    return await policies.create(session, data=data)


@router.get("/sla-policies/{policy_id}", response_model=SlaPolicyRead)
async def get_policy(policy_id: int, session: Session, who: Admin):
    return await policies.get(session, policy_id=policy_id)


@router.patch("/sla-policies/{policy_id}", response_model=SlaPolicyRead)
async def update_policy(policy_id: int, data: SlaPolicyUpdate, session: Session, who: Admin):
    """Tickets take the new targets at their next event (a reply, a status change)."""
    known_channel(data.channel)
    return await policies.update(session, policy_id=policy_id, changes=data)


@router.delete("/sla-policies/{policy_id}", status_code=204)
async def delete_policy(policy_id: int, session: Session, who: Admin):
    await policies.delete(session, policy_id=policy_id)
    return Response(status_code=204)


router.include_router(sla_rules.router)  # /api/v1/sla-rules: acting on warnings and breaches
