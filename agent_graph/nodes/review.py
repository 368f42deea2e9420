"""Review mode: the bot's draft waits for an agent (a graph interrupt that survives restarts)."""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent_graph import trace
from agent_graph.nodes.respond import reply_text
from agent_graph.state import TurnContext, TurnState
from store.actor import BOT
from store.outbox.service import emit
from store.tickets import ownership


async def request_review(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    """Put the draft in front of the agents (an event on the ticket), once per draft."""
    ctx = runtime.context
    async with ctx.db.uow() as session:
        if await ownership.bot_owned(session, ticket_id=state["ticket_id"]) is None:
            return {"outcome": "dropped"}
        body = trace.payload(state, ctx, draft=reply_text(state, ctx), status="awaiting review")
        emit(session, trace.REVIEW_EVENT, actor=BOT, ticket_id=state["ticket_id"], payload=body)
    return {"outcome": "awaiting review"}


def await_review(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    """Pauses the run here; `Command(resume={"approve", "text", "by"})` continues it."""
    draft = reply_text(state, runtime.context)
    answer = interrupt({"ticket_id": state["ticket_id"], "draft": draft})
    return {"review": dict(answer)}
