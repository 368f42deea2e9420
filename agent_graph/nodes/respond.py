"""respond: the bot's reply on the ticket's channel, only while the bot owns the ticket."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent_graph import trace
from agent_graph.replies import for_channel
from agent_graph.state import TurnContext, TurnState
from store.actor import BOT
from store.tickets import ownership
from store.tickets import service as tickets


def reply_text(state: TurnState, ctx: TurnContext) -> str:
    """The decided (or the reviewer's edited) text, fitted to the ticket's channel."""
    d = state["decision"]
    edited = (state.get("review") or {}).get("text")
    source = None if edited else d.get("source_title")
    channel = state["channel"]
    return for_channel(
        edited or d["text"],
        channel,
        ctx.limits_of(channel),
        source=source,
        language=state.get("language"),
    )


async def respond(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    ctx = runtime.context
    d = state["decision"]
    async with ctx.db.uow() as session:
        # Same transaction as the reply: a human who took the ticket over wins, always.
        ticket = await ownership.bot_owned(session, ticket_id=state["ticket_id"])
        if ticket is None:
            return {"outcome": "dropped"}
        message = await tickets.reply(
            session, ticket_id=ticket.id, body=reply_text(state, ctx), actor=BOT
        )
        # The voice call reads `decision` to speak an answer or ask again.
        message.meta = {**message.meta, "decision": d["action"], "sources": d.get("sources", [])}
        await trace.apply_triage(session, ticket, state)
        trace.record(session, state, ctx, reply_message_id=message.id, review=state.get("review"))
    return {"outcome": "sent"}
