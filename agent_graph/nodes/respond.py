"""respond: the bot's reply on the ticket's channel, only while the bot owns the ticket."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent_graph import trace
from agent_graph.replies import article_link, for_channel
from agent_graph.state import TurnContext, TurnState
from store.actor import BOT
from store.tickets import ownership
from store.tickets import service as tickets


def cited_article(state: TurnState) -> tuple[str | None, str | None]:
    """(title, article id) of the article an answer came from: the decision's own, else its
    first passage source (the LLM names passages by chunk id)."""
    d = state.get("decision") or {}
    if d.get("action") != "answer":
        return None, None
    by_chunk = {str(p["chunk_id"]): p for p in state.get("passages", [])}
    found = [
        by_chunk[str(s.get("id"))]
        for s in d.get("sources") or []
        if s.get("kind") == "passage" and str(s.get("id")) in by_chunk
    ]
    title = d.get("source_title") or (found[0]["title"] if found else None)
    article_id = d.get("source_article_id") or (str(found[0]["article_id"]) if found else None)
    return (title, article_id) if title else (None, None)


def reply_text(state: TurnState, ctx: TurnContext) -> str:
    """The decided (or the reviewer's edited) text, fitted to the ticket's channel, naming
    the article it came from (a reviewer's own words name none)."""
    d = state["decision"]
    edited = (state.get("review") or {}).get("text")
    title, article_id = (None, None) if edited else cited_article(state)
    channel = state["channel"]
    return for_channel(
        edited or d["text"],
        channel,
        ctx.limits_of(channel),
        source=title,
        link=article_link(ctx.public_url, article_id),
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
        title, article_id = cited_article(state)
        citation = (
            {
                "title": title,
                "article_id": article_id,
                "url": article_link(ctx.public_url, article_id),
            }
            if title
            else None
        )
        message.meta = {
            **message.meta,
            "decision": d["action"],
            "sources": d.get("sources", []),
            "citation": citation,
        }
        await trace.apply_triage(session, ticket, state)
        trace.record(session, state, ctx, reply_message_id=message.id, review=state.get("review"))
    return {"outcome": "sent"}
