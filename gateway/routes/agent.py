"""Agent API: bot settings, escalation and routing rules, HTTP tools (admin); per ticket the
bot's traces, the draft awaiting review, its approval, and handing a ticket back to the bot."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from agent_graph.job import REVIEW_EVENT, agent_for
from agent_graph.tools import BUILTINS
from gateway.deps import Admin, Session, TicketsRead, TicketsWrite
from gateway.routes.tickets import EventRead
from store.agent import service as agent
from store.agent.models import AgentTool, EscalationRule, RoutingRule
from store.agent.schemas import (
    BotSettingsRead,
    BotSettingsUpdate,
    EscalationRuleCreate,
    EscalationRuleRead,
    EscalationRuleUpdate,
    ReviewDecision,
    RoutingRuleCreate,
    RoutingRuleRead,
    RoutingRuleUpdate,
    ToolCreate,
    ToolRead,
    ToolUpdate,
)
from store.errors import Conflict, NotFound
from store.outbox.service import emit, list_events
from store.tickets import ownership
from store.tickets import service as tickets
from store.tickets.schemas import TicketRead

router = APIRouter(prefix="/api/v1", tags=["agent"])


@router.get("/agent/settings", response_model=BotSettingsRead)
async def get_settings(session: Session, who: Admin):
    return agent.read_settings(await agent.get_settings(session))


@router.patch("/agent/settings", response_model=BotSettingsRead)
async def update_settings(data: BotSettingsUpdate, session: Session, who: Admin):
    return agent.read_settings(await agent.update_settings(session, changes=data))


@router.get("/agent/escalation-rules", response_model=list[EscalationRuleRead])
async def list_escalation_rules(session: Session, who: Admin):
    return await agent.list_escalation_rules(session)


@router.post("/agent/escalation-rules", status_code=201, response_model=EscalationRuleRead)
async def create_escalation_rule(data: EscalationRuleCreate, session: Session, who: Admin):
    return await agent.create_rule(session, model=EscalationRule, data=data)


@router.patch("/agent/escalation-rules/{rule_id}", response_model=EscalationRuleRead)
async def update_escalation_rule(
    rule_id: int, data: EscalationRuleUpdate, session: Session, who: Admin
):
    return await agent.update_rule(session, model=EscalationRule, rule_id=rule_id, data=data)


@router.delete("/agent/escalation-rules/{rule_id}", status_code=204)
async def delete_escalation_rule(rule_id: int, session: Session, who: Admin):
    await agent.delete_row(session, model=EscalationRule, row_id=rule_id)


@router.get("/agent/routing-rules", response_model=list[RoutingRuleRead])
async def list_routing_rules(session: Session, who: Admin):
    return await agent.list_routing_rules(session)


@router.post("/agent/routing-rules", status_code=201, response_model=RoutingRuleRead)
async def create_routing_rule(data: RoutingRuleCreate, session: Session, who: Admin):
    return await agent.create_rule(session, model=RoutingRule, data=data)


@router.patch("/agent/routing-rules/{rule_id}", response_model=RoutingRuleRead)
async def update_routing_rule(rule_id: int, data: RoutingRuleUpdate, session: Session, who: Admin):
    return await agent.update_rule(session, model=RoutingRule, rule_id=rule_id, data=data)


@router.delete("/agent/routing-rules/{rule_id}", status_code=204)
async def delete_routing_rule(rule_id: int, session: Session, who: Admin):
    await agent.delete_row(session, model=RoutingRule, row_id=rule_id)


class ToolList(BaseModel):
    builtins: list[dict]
    tools: list[ToolRead]


@router.get("/agent/tools", response_model=ToolList)
async def list_tools(session: Session, who: Admin):
    return ToolList(builtins=BUILTINS, tools=await agent.list_tools(session))


@router.post("/agent/tools", status_code=201, response_model=ToolRead)
async def create_tool(data: ToolCreate, session: Session, who: Admin):
    return await agent.create_tool(session, data=data)


@router.patch("/agent/tools/{tool_id}", response_model=ToolRead)
async def update_tool(tool_id: int, data: ToolUpdate, session: Session, who: Admin):
    return await agent.update_tool(session, tool_id=tool_id, data=data)


@router.delete("/agent/tools/{tool_id}", status_code=204)
async def delete_tool(tool_id: int, session: Session, who: Admin):
    await agent.delete_row(session, model=AgentTool, row_id=tool_id)


# --- per ticket -------------------------------------------------------------------------------


@router.get("/tickets/{ticket_id}/agent/traces", response_model=list[EventRead])
async def ticket_traces(
    ticket_id: int,
    session: Session,
    who: TicketsRead,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
):
    """The bot's decisions on this ticket (`agent.*` events), oldest first."""
    await tickets.get(session, ticket_id=ticket_id)
    events = await list_events(session, ticket_id=ticket_id, limit=5000)
    return [e for e in events if e.type.startswith("agent.")][-limit:]


class PendingReview(BaseModel):
    ticket_id: int
    draft: str


@router.get("/tickets/{ticket_id}/agent/review", response_model=PendingReview)
async def pending_review(ticket_id: int, request: Request, session: Session, who: TicketsRead):
    await tickets.get(session, ticket_id=ticket_id)
    pending = await agent_for(request.app.state.dispatcher.ctx).pending_review(ticket_id)
    if pending is None:
        raise NotFound(f"no bot draft awaits review on ticket {ticket_id}")
    return PendingReview(ticket_id=ticket_id, draft=pending["draft"])


@router.post("/tickets/{ticket_id}/agent/review", status_code=202, response_model=PendingReview)
async def decide_review(
    ticket_id: int, data: ReviewDecision, request: Request, session: Session, who: TicketsWrite
):
    """Approve (optionally edited) or reject the draft; the agent job continues the run."""
    await tickets.get(session, ticket_id=ticket_id)
    pending = await agent_for(request.app.state.dispatcher.ctx).pending_review(ticket_id)
    if pending is None:
        raise Conflict(f"no bot draft awaits review on ticket {ticket_id}")
    body = data.model_dump() | {"by": who.actor.name}
    emit(session, REVIEW_EVENT, actor=who.actor, ticket_id=ticket_id, payload=body)
    return PendingReview(ticket_id=ticket_id, draft=data.text or pending["draft"])


@router.post("/tickets/{ticket_id}/agent/handback", response_model=TicketRead)
async def hand_back(ticket_id: int, session: Session, who: TicketsWrite):
    """The bot answers this ticket again (after a human took it over)."""
    return await ownership.hand_back(session, ticket_id=ticket_id, actor=who.actor)
