"""The graph's state (checkpointed per ticket, so plain data only) and its run-time context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from store.agent.thresholds import BotThresholds
from store.db import Database
from store.messages import Limits

# retrieve(db, text, *, history=(), locale=None, k=8) -> Retrieved (agent_graph.retrieval)
Retriever = Callable[..., Awaitable[Any]]


class TurnState(TypedDict, total=False):
    # the turn's input (written by the job)
    ticket_id: int
    message_id: int
    text: str
    channel: str
    contact_id: int | None
    vip: bool
    contact_attributes: dict  # Contact.attributes, for rule conditions
    ticket_tags: list[str]  # the ticket's tags and priority before this turn's triage
    ticket_priority: str
    bot_turns: int
    started: float  # perf_counter at the job's start, for the trace's latency
    # triage
    language: str
    sentiment: float
    asks_human: bool
    priority: str
    tags: list[str]
    intent: str | None
    # retrieve
    history: list[dict]  # the ticket's turns before this message that retrieval read
    passages: list[dict]
    examples: list[dict]
    confidence: float
    # guard: the rule that fired {"rule", "action": escalate | review, "why"} or None
    guard: dict | None
    # decide: {"action", "reason", "text", "sources", "candidates", "label", "model", ...}
    decision: dict
    llm_messages: list[dict]  # LLM mode: the conversation with tool results, while it lasts
    tool_calls: list[dict]  # trace of tools called this turn
    # review: {"approve", "text", "by"} once an agent decided
    review: dict | None
    outcome: str  # sent | escalated | dropped


@dataclass(frozen=True)
class BotConfig:
    """The bot settings row as plain values (read once per turn)."""

    mode: str = "retrieval"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 20.0
    llm_retries: int = 1
    thresholds: BotThresholds = field(default_factory=BotThresholds)
    review_mode: str = "rules"
    max_bot_turns: int = 6
    handoff_message: str = ""
    tool_hosts: tuple[str, ...] = ()


@dataclass
class TurnContext:
    """What nodes need besides the state; rebuilt for every run (never checkpointed)."""

    db: Database
    retrieve: Retriever
    config: BotConfig
    escalation_rules: list[dict]  # {"name", "conditions", "action"} in order
    tools: list[dict]  # admin HTTP tools, AgentTool columns as dicts
    now: datetime
    extras: dict[str, Any] = field(default_factory=dict)
    # Limits of the registered channels by name, from the gateway (agent_graph sees no channels)
    channel_limits: Mapping[str, Limits] = field(default_factory=dict)
    # The gateway's public base URL: answers link to {public_url}/help/articles/{id}
    public_url: str = ""

    def limits_of(self, channel: str) -> Limits:
        """The channel's Limits; an undeclared channel (the inbound API) takes plain text."""
        return self.channel_limits.get(channel) or Limits()
