"""Tables: team business hours, per-channel out-of-hours settings, SLA policies, the SLA
clock of each ticket target, and the out-of-hours replies already sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from store.db import Base, utcnow


class BusinessHours(Base):
    """One team's schedule; a team without a row is open around the clock."""

    __tablename__ = "business_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    week: Mapped[dict] = mapped_column(default=dict)  # {"mon": [{"start", "end", "overnight"}]}
    holiday_country: Mapped[str | None] = mapped_column(String(10))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10))
    closed_dates: Mapped[list] = mapped_column(default=list)  # [{"date": "2025-12-24", "name"}]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelHours(Base):
    """Out of hours on one channel: whose hours apply, and whether to answer automatically."""

    __tablename__ = "channel_hours"

    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    auto_reply: Mapped[bool] = mapped_column(default=False)
    messages: Mapped[dict] = mapped_column(default=dict)  # language -> text with {next_open}
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaPolicy(Base):
    """Targets per priority, for tickets of a channel and/or team (or all: both empty).
    `scope` ("channel|team", '*' for any) is unique: one policy per combination."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(30))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(60), unique=True)
    targets: Mapped[dict] = mapped_column(default=dict)  # priority -> {metric_minutes: n}
    warn_percent: Mapped[int] = mapped_column(default=80)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaClock(Base):
    """The current cycle of one target of one ticket (first_response, next_response,
    resolution), as store/sla/timeline.py computes it from the ticket's events.

    running: due_at set. paused (pending) / stopped (solved): remaining_seconds of business
    time left, no due_at. met: met_at. breached_at / warned_at: the event was written
    (once per cycle). scheduled_at: when a check of this clock is due in the outbox.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "metric"),
        Index("ix_sla_clocks_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(20))
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(10))
    target_seconds: Mapped[int]
    started_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]
    remaining_seconds: Mapped[int | None]
    breached_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Read-only view from the ticket (`Ticket.sla_clocks`), loaded with it in one extra query
    # per page, so TicketRead shows the clocks without lazy loads. Declared here by name: the
    # tickets package reads the SLA, never the other way round.
    ticket = relationship(
        "Ticket",
        viewonly=True,
        backref=backref("sla_clocks", viewonly=True, lazy="selectin", order_by="SlaClock.id"),
    )


class OutOfHoursReply(Base):
    """An automatic "we are closed" reply: one per ticket per closed period (`period` is the
    period's opening instant)."""

    __tablename__ = "out_of_hours_replies"
    __table_args__ = (UniqueConstraint("ticket_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaRule(Base):
    """What to do when a ticket's SLA warns or breaches: an escalation rule of the SLA (same
    shape as the bot's escalation rules: name, enabled, position, conditions), acting on
    `ticket.sla_breached` or `ticket.sla_warning` (store/sla/actions.py)."""

    __tablename__ = "sla_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    event: Mapped[str] = mapped_column(String(30))  # ticket.sla_breached | ticket.sla_warning
    metrics: Mapped[list] = mapped_column(default=list)  # empty: any target
    conditions: Mapped[dict] = mapped_column(default=dict)  # agent.schemas.RuleConditions
    actions: Mapped[dict] = mapped_column(default=dict)  # assignment.sla_rule_schemas.SlaActions
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
