"""Runs the graph for a ticket: builds the turn's input and context from the database, starts
a turn, resumes a paused review. One instance per process (it holds the compiled graph)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from langgraph.types import Command
from sqlalchemy import func, select

from agent_graph.checkpoint import DatabaseSaver
from agent_graph.graph import build
from agent_graph.state import BotConfig, Retriever, TurnContext, TurnState
from agent_graph.trace import DECISION_EVENT, REVIEW_EVENT
from store.agent import service as agent_data
from store.contacts.models import Contact
from store.db import Database, utcnow
from store.outbox.models import Event
from store.tickets.models import Message, Ticket


@dataclass(frozen=True)
class LlmDefaults:
    """Process-wide defaults (environment) for what the bot settings leave empty."""

    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None


async def _kb_retrieve(db, text, *, locale=None, k=8):
    from agent_graph.retrieval import retrieve  # the knowledge store; imported on first use

    return await retrieve(db, text, locale=locale, k=k)


TRACE_EVENTS = (DECISION_EVENT, REVIEW_EVENT)
TOOL_FIELDS = (
    "name",
    "description",
    "parameters",
    "method",
    "url_template",
    "secret_header",
    "secret_value",
    "timeout",
)


async def _already_decided(session, ticket_id: int, message_id: int) -> bool:
    recent = await session.scalars(
        select(Event)
        .where(Event.ticket_id == ticket_id, Event.type.in_(TRACE_EVENTS))
        .order_by(Event.id.desc())
        .limit(50)
    )
    return any(e.payload.get("message_id") == message_id for e in recent)


def _thread(ticket_id: int) -> dict:
    return {"configurable": {"thread_id": str(ticket_id)}}


class Agent:
    def __init__(self, db: Database, *, retrieve: Retriever | None = None, llm=LlmDefaults()):
        self.db = db
        self.retrieve = retrieve or _kb_retrieve
        self.llm = llm
        self.graph = build(DatabaseSaver(db))

    async def context(self) -> TurnContext:
        async with self.db.read() as session:  # values are read inside: rollback expires rows
            row = await agent_data.get_settings(session)
            config = self._config(row)
            rules = [
                {"name": r.name, "conditions": r.conditions, "action": r.action}
                for r in await agent_data.list_escalation_rules(session, enabled_only=True)
            ]
            tools = [
                {c: getattr(t, c) for c in TOOL_FIELDS}
                for t in await agent_data.list_tools(session, enabled_only=True)
            ]
        return TurnContext(
            db=self.db,
            retrieve=self.retrieve,
            config=config,
            escalation_rules=rules,
            tools=tools,
            now=utcnow(),
        )

    def _config(self, row) -> BotConfig:
        return BotConfig(
            mode=row.mode,
            llm_base_url=row.llm_base_url or self.llm.base_url,
            llm_model=row.llm_model or self.llm.model,
            llm_api_key=row.llm_api_key or self.llm.api_key,
            llm_timeout=row.llm_timeout,
            llm_retries=row.llm_retries,
            thresholds=agent_data.thresholds_of(row),
            review_mode=row.review_mode,
            max_bot_turns=row.max_bot_turns,
            handoff_message=row.handoff_message,
            tool_hosts=tuple(row.tool_hosts),
        )

    async def _input(self, ticket_id: int, message_id: int) -> TurnState | None:
        """The turn's input, or None when the bot has nothing to do (not its ticket, etc.)."""
        async with self.db.read() as session:
            if not await agent_data.bot_enabled(session):
                return None
            ticket = await session.get(Ticket, ticket_id)
            message = await session.get(Message, message_id)
            if ticket is None or ticket.owner != "bot" or message is None:
                return None
            if message.direction != "in" or not message.text.strip():
                return None
            if await _already_decided(session, ticket_id, message_id):
                return None  # a retried job whose first attempt got as far as a decision
            contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
            bot_turns = await session.scalar(
                select(func.count()).where(
                    Message.ticket_id == ticket_id, Message.author_kind == "bot"
                )
            )
            return {
                "ticket_id": ticket_id,
                "message_id": message_id,
                "text": message.text.strip()[:4000],
                "channel": ticket.channel,
                "contact_id": ticket.contact_id,
                "vip": bool(contact and contact.vip),
                "contact_attributes": dict(contact.attributes or {}) if contact else {},
                "ticket_tags": list(ticket.tags),
                "ticket_priority": ticket.priority,
                "bot_turns": int(bot_turns or 0),
                "started": time.perf_counter(),
                "guard": None,
                "review": None,
                "decision": {},
                "llm_messages": [],
                "tool_calls": [],
                "outcome": "",
            }

    async def turn(self, *, ticket_id: int, message_id: int) -> str | None:
        """Answer one customer message; the outcome (sent, escalated, dropped, awaiting review)."""
        state = await self._input(ticket_id, message_id)
        if state is None:
            return None
        result = await self.graph.ainvoke(state, _thread(ticket_id), context=await self.context())
        return result.get("outcome")

    async def pending_review(self, ticket_id: int) -> dict | None:
        snapshot = await self.graph.aget_state(_thread(ticket_id))
        return snapshot.interrupts[0].value if snapshot.interrupts else None

    async def resume(self, *, ticket_id: int, review: dict) -> str | None:
        """Continue a paused draft with an agent's {"approve", "text", "by"}."""
        if await self.pending_review(ticket_id) is None:
            return None
        result = await self.graph.ainvoke(
            Command(resume=review), _thread(ticket_id), context=await self.context()
        )
        return result.get("outcome")
