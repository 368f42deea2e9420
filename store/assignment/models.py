"""Assignment tables: one settings row, and the team queues of tickets waiting for a human."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, utcnow


class AssignmentSettings(Base):
    """The admin's assignment and presence settings; a single row (id 1). Absent: defaults."""

    __tablename__ = "assignment_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Tickets no routing rule matches go to this team; none: to every active agent.
    default_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    capacities: Mapped[dict] = mapped_column(default=dict)  # per channel kind, for everyone
    idle_away_minutes: Mapped[int] = mapped_column(default=10)  # 0: never away by idling
    offline_grace_seconds: Mapped[int] = mapped_column(default=60)
    heartbeat_ttl_seconds: Mapped[int] = mapped_column(default=90)
    reassign_on_offline: Mapped[bool] = mapped_column(default=False)  # open live chats
    # Email the assignee (or the team) when a ticket waits unseen this long; 0: never.
    unseen_alert_minutes: Mapped[int] = mapped_column(default=10)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueuedTicket(Base):
    """A ticket that needs a human and found nobody available: it waits in its team's queue
    (team none: anyone's) until someone becomes available or pulls it."""

    __tablename__ = "assignment_queue"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # channel kind (store/staff/kinds.py)
    reason: Mapped[str] = mapped_column(String(500), default="")
    queued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TicketView(Base):
    """An agent opened a ticket in the console (the last time): what makes an assigned ticket
    "seen", so its unseen-wait alert stays quiet."""

    __tablename__ = "ticket_views"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueueWait(Base):
    """How long a ticket waited in its team's queue before an agent took it: the samples of
    the widget's expected-wait estimate (store/assignment/waiting.py)."""

    __tablename__ = "queue_waits"
    __table_args__ = (Index("ix_queue_waits_team_assigned", "team_id", "assigned_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime]
    assigned_at: Mapped[datetime]
    wait_seconds: Mapped[int]


class WaitAlert(Base):
    """An unseen-wait alert that went out: one per ticket per wait (`wait` names it: the
    assignment or queueing event that started it), so a retried job never alerts twice."""

    __tablename__ = "wait_alerts"
    __table_args__ = (UniqueConstraint("ticket_id", "wait"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    wait: Mapped[str] = mapped_column(String(40))
    user_ids: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
