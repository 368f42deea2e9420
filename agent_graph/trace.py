"""The `agent.decision` event: why the bot did what it did, on the ticket, for people to read."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from agent_graph.state import TurnContext, TurnState
from store.actor import BOT
from store.agent.traces import DECISION_EVENT, REVIEW_EVENT
from store.outbox.service import emit
from store.tickets import service as tickets
from store.tickets.models import Ticket, higher_priority
from store.tickets.schemas import TicketUpdate

# The event names live with the queries that read them back (store.agent.traces).
__all__ = ["DECISION_EVENT", "REVIEW_EVENT", "apply_triage", "payload", "record"]


# What the console's trace view shows of each passage: where it is, and every score.
PASSAGE_FIELDS = (
    "chunk_id",
    "article_id",
    "title",
    "heading",
    "similarity",
    "heading_similarity",
    "title_similarity",
    "fused",
    "lexical_rank",
    "vector_rank",
)


def decided_by(d: dict, guard: dict | None) -> str:
    """The rule that decided, in one name: an escalation rule, the knowledge policy
    (agent_graph.grounding), the examples/passages thresholds (agent_graph.decision) or the
    LLM."""
    if guard and guard.get("action") == "escalate":
        return f"guard: {guard.get('rule')}"
    if d.get("rule"):
        return d["rule"]
    if d.get("model") not in (None, "retrieval"):
        return "llm"
    return f"thresholds.{d.get('action', 'escalate')}"


def payload(state: TurnState, ctx: TurnContext, **extra) -> dict:
    d = state.get("decision") or {}
    guard = state.get("guard")
    started = state.get("started")
    return {
        "message_id": state.get("message_id"),
        "action": d.get("action", "escalate"),
        "reason": d.get("reason") or (guard or {}).get("why"),
        "rule": (guard or {}).get("rule"),
        "guard": guard,
        "model": d.get("model") or ("llm" if ctx.config.mode == "llm" else "retrieval"),
        "confidence": d.get("confidence"),
        "thresholds": ctx.config.thresholds.model_dump() if ctx.config.mode != "llm" else None,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "decided_by": decided_by(d, guard),
        "history": [h["role"] for h in state.get("history") or []],
        "passages": [
            {k: p.get(k) for k in PASSAGE_FIELDS} | {"text": (p.get("text") or "")[:240]}
            for p in state.get("passages", [])[:8]
        ],
        "examples": [
            {k: e[k] for k in ("label", "probability", "similarity", "example_id")}
            for e in state.get("examples", [])[:5]
        ],
        "sources": d.get("sources", []),
        "tool_calls": state.get("tool_calls") or [],
        "triage": {
            k: state.get(k) for k in ("language", "sentiment", "intent", "priority", "tags")
        },
        **extra,
    }


def record(session: AsyncSession, state: TurnState, ctx: TurnContext, **extra) -> None:
    emit(
        session,
        DECISION_EVENT,
        actor=BOT,
        ticket_id=state["ticket_id"],
        payload=payload(state, ctx, **extra),
    )


async def apply_triage(session: AsyncSession, ticket: Ticket, state: TurnState) -> None:
    """Language, raised priority and tags from triage onto the ticket (audited as usual)."""
    if not ticket.language and state.get("language"):
        ticket.language = state["language"]
    changes = {}
    raised = higher_priority(ticket.priority, state.get("priority", "normal"))
    if raised != ticket.priority:
        changes["priority"] = raised
    new_tags = [t for t in state.get("tags", []) if t not in ticket.tags]
    if new_tags:
        changes["add_tags"] = new_tags
    if changes:
        await tickets.update(
            session, ticket_id=ticket.id, changes=TicketUpdate(**changes), actor=BOT
        )
