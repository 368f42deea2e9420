"""Runs the graph for a ticket: builds the turn's input and context from the database, starts
a turn, resumes a paused review. One instance per process (it holds the compiled graph)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from langgraph.types import Command

from agent_graph.graph import build
from agent_graph.state import BotConfig, Retriever, TurnContext, TurnState
from store.agent import service as agent_data
from store.agent import traces
from store.agent.checkpoints import DatabaseSaver
from store.db import Database, utcnow
from store.messages import Limits
from store.tickets import bot_view
from store.tickets.conversation import get_message


@dataclass(frozen=True)
class LlmDefaults:
    """Process-wide defaults (environment) for what the bot settings leave empty."""

    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None


async def _kb_retrieve(db, text, *, history=(), locale=None, k=8):
    from agent_graph.retrieval import retrieve  # the knowledge store; imported on first use

    return await retrieve(db, text, history=history, locale=locale, k=k)


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


def _thread(ticket_id: int) -> dict:
    return {"configurable": {"thread_id": str(ticket_id)}}


class Agent:
    """`channel_limits` are the registered channels' Limits by name (the gateway hands them
    in: agent_graph does not import channels); replies on a channel missing there are plain
    text of any length."""

    def __init__(
        self,
        db: Database,
        *,
        retrieve: Retriever | None = None,
        llm=LlmDefaults(),
        channel_limits: Mapping[str, Limits] | None = None,
        public_url: str = "",
    ):
        self.db = db
        self.public_url = public_url
        self.retrieve = retrieve or _kb_retrieve
        self.llm = llm
        self.channel_limits = dict(channel_limits or {})
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
            channel_limits=self.channel_limits,
            public_url=self.public_url,
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
            found = await bot_view.get_with_contact(session, ticket_id=ticket_id)
            message = await get_message(session, message_id=message_id)
            if found is None or message is None:
                return None
            ticket, contact = found
            if ticket.owner != "bot" or message.direction != "in" or not message.text.strip():
                return None
            if await traces.already_decided(session, ticket_id=ticket_id, message_id=message_id):
                return None  # a retried job whose first attempt got as far as a decision
            bot_turns = await bot_view.count_bot_replies(session, ticket_id=ticket_id)
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
                "bot_turns": bot_turns,
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
