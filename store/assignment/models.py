"""Assignment tables: one settings row, and the team queues of tickets waiting for a human."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
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
