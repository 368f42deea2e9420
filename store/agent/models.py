"""Agent tables: one bot-settings row, escalation and routing rules, HTTP tools, checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, utcnow


class BotSettings(Base):
    """The bot's switches; a single row (id 1). Absent: defaults from the process settings."""

    __tablename__ = "agent_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    mode: Mapped[str] = mapped_column(String(12), default="retrieval")  # retrieval | llm
    llm_base_url: Mapped[str | None] = mapped_column(String(500))
    llm_model: Mapped[str | None] = mapped_column(String(200))
    llm_api_key: Mapped[str | None] = mapped_column(String(500))  # never returned by the API
    llm_timeout: Mapped[float] = mapped_column(default=20.0)
    llm_retries: Mapped[int] = mapped_column(default=1)
    thresholds: Mapped[dict] = mapped_column(default=dict)  # agent_graph.decision.BotThresholds
    review_mode: Mapped[str] = mapped_column(String(10), default="rules")  # off | rules | all
    max_bot_turns: Mapped[int] = mapped_column(default=6)
    handoff_message: Mapped[str] = mapped_column(Text, default="")
    tool_hosts: Mapped[list] = mapped_column(default=list)  # allow-list for HTTP tools
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EscalationRule(Base):
    """When all `conditions` match a turn, `action` happens: escalate, or hold the draft."""

    __tablename__ = "agent_escalation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    conditions: Mapped[dict] = mapped_column(default=dict)
    action: Mapped[str] = mapped_column(String(10), default="escalate")  # escalate | review
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoutingRule(Base):
    """The first enabled rule (by position) whose conditions match picks the escalation's team."""

    __tablename__ = "agent_routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    conditions: Mapped[dict] = mapped_column(default=dict)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentTool(Base):
    """An admin-declared HTTP tool the LLM may call; the secret header value is never returned."""

    __tablename__ = "agent_tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[dict] = mapped_column(default=dict)  # JSON schema of the arguments
    method: Mapped[str] = mapped_column(String(6), default="GET")
    url_template: Mapped[str] = mapped_column(String(1000))
    secret_header: Mapped[str | None] = mapped_column(String(100))
    secret_value: Mapped[str | None] = mapped_column(String(1000))
    timeout: Mapped[float] = mapped_column(default=5.0)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GraphCheckpoint(Base):
    """A LangGraph checkpoint (thread = ticket id), serialised by the graph's own serde."""

    __tablename__ = "agent_checkpoints"

    thread_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    checkpoint_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    parent_checkpoint_id: Mapped[str | None] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(30))
    checkpoint: Mapped[bytes] = mapped_column(LargeBinary)
    metadata_type: Mapped[str] = mapped_column(String(30))
    metadata_blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GraphWrite(Base):
    """A pending write of a task at a checkpoint (what an interrupted run resumes from)."""

    __tablename__ = "agent_checkpoint_writes"
    __table_args__ = (
        Index("ix_agent_checkpoint_writes_cp", "thread_id", "checkpoint_ns", "checkpoint_id"),
    )

    thread_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    checkpoint_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    idx: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(30))
    value: Mapped[bytes] = mapped_column(LargeBinary)
    task_path: Mapped[str] = mapped_column(String(500), default="")


class GraphBlob(Base):
    """One channel's value at one version (checkpoints name versions, blobs hold the values)."""

    __tablename__ = "agent_checkpoint_blobs"

    thread_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    channel: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(30))
    value: Mapped[bytes] = mapped_column(LargeBinary)
