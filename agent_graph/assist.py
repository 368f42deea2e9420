"""Help the human on every ticket: each inbound customer message is triaged (intent,
priority, sentiment, language) whoever owns the ticket, and when a human must answer it (the
ticket is theirs, or the bot is off) a suggested reply waits for them in the brief."""

from __future__ import annotations

import asyncio

from agent_graph import trace
from agent_graph.nodes.retrieve import HISTORY_TURNS, answers_of
from agent_graph.nodes.triage import triage_of
from agent_graph.query import Turn, role_of
from agent_graph.state import Retriever
from agent_graph.suggest import compose
from store.actor import BOT
from store.agent import service as agent_data
from store.agent import traces
from store.agent import triage as triage_store
from store.agent.triage import SUGGESTION_EVENT
from store.db import Database
from store.outbox.service import emit
from store.tickets import bot_view
from store.tickets.conversation import get_message

MIN_INTENT = 0.3  # below this the top label is a guess, not an intent to show


def found_as_state(found) -> dict:
    """What retrieval found, in the graph state's shapes (examples, passages)."""
    answers = answers_of(found)
    examples = [
        {
            "label": s.label,
            "probability": round(float(s.probability), 4),
            "similarity": round(float(s.similarity), 4),
            "example_id": str(s.example_id),
            "answer": answers.get(s.label),
        }
        for s in found.examples
    ]
    passages = [
        {
            "chunk_id": str(p.chunk_id),
            "article_id": str(p.article_id),
            "title": p.title,
            "text": p.text,
            "similarity": round(float(p.similarity), 4),
        }
        for p in found.passages
    ]
    return {"examples": examples, "passages": passages}


async def _read(db: Database, ticket_id: int, message_id: int):
    async with db.read() as session:
        found = await bot_view.get_with_contact(session, ticket_id=ticket_id)
        message = await get_message(session, message_id=message_id)
        if found is None or message is None or message.ticket_id != ticket_id:
            return None
        if message.direction != "in" or not message.text.strip():
            return None
        if await triage_store.already_triaged(session, ticket_id=ticket_id, message_id=message_id):
            return None  # a retried job
        ticket, contact = found
        rows = await bot_view.recent_turns(
            session, ticket_id=ticket_id, before_message_id=message_id, limit=HISTORY_TURNS
        )
        history = [Turn(role_of(kind), text) for kind, text in rows]
        return message.text.strip()[:4000], bool(contact and contact.vip), history


async def assist(db: Database, retrieve: Retriever, *, ticket_id: int, message_id: int) -> dict:
    """Triage the message; draft a reply when a human must answer. Returns what it did."""
    read = await _read(db, ticket_id, message_id)
    if read is None:
        return {}
    text, vip, history = read
    triaged = await asyncio.to_thread(triage_of, text, vip=vip)  # lingua loads lazily: CPU
    # The conversation as the bot's own retrieval reads it: "what if I forgot?" needs it.
    found = await retrieve(db, text, history=history, locale=triaged["language"], k=5)
    state = found_as_state(found)
    top = state["examples"][0] if state["examples"] else None
    if top and top["probability"] >= MIN_INTENT:
        triaged.update(intent=top["label"], confidence=top["probability"])
    async with db.uow() as session:
        ticket = await bot_view.find_ticket(session, ticket_id=ticket_id)
        if ticket is None:
            return {}
        await triage_store.record(
            session, ticket_id=ticket_id, message_id=message_id, values=triaged
        )
        human = ticket.owner == "human" or not await agent_data.bot_enabled(session)
        if not human:
            return {"triage": triaged}  # the bot's own turn applies it and answers
        await trace.apply_triage(session, ticket, triaged)
        if await traces.already_decided(session, ticket_id=ticket_id, message_id=message_id):
            return {"triage": triaged}  # the bot escalated this one: its brief has the draft
        suggestion = compose(language=triaged["language"], **state)
        if suggestion is not None:
            payload = {"message_id": message_id, "triage": triaged} | _brief(suggestion)
            emit(session, SUGGESTION_EVENT, actor=BOT, ticket_id=ticket_id, payload=payload)
    return {"triage": triaged, "suggestion": suggestion}


def _brief(suggestion) -> dict:
    """The suggestion under the names the console's brief reads."""
    return {
        "suggested_reply": suggestion.text,
        "suggested_html": suggestion.html,
        "sources": suggestion.sources,
        "language": suggestion.language,
    }
