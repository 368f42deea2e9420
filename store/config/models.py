"""Admin-defined configuration: workflow statuses, custom fields, macros, channel accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, utcnow

# The categories the system reasons about (open, waiting, done); statuses map onto them.
STATUS_CATEGORIES = ("new", "open", "pending", "solved", "closed")


class WorkflowStatus(Base):
    """An admin-named status mapped to one of the five categories the system reasons about."""

    __tablename__ = "workflow_statuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    category: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(default=0)


class FieldDefinition(Base):
    __tablename__ = "field_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))  # text | number | boolean | date | select
    options: Mapped[list] = mapped_column(default=list)
    required: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Macro(Base):
    """A canned reply plus actions (status, priority, tags) an agent applies in one click."""

    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelAccount(Base):
    """A configured channel endpoint (mailbox, Twilio number, Slack app, widget).

    `config` is what the API shows; `secrets` (passwords, tokens) is never returned.
    """

    __tablename__ = "channel_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(30), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(320), index=True)
    config: Mapped[dict] = mapped_column(default=dict)
    secrets: Mapped[dict] = mapped_column(default=dict)
    state: Mapped[dict] = mapped_column(default=dict)  # poller cursors etc.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
