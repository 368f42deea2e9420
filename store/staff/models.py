"""Users (agents and admins), teams, and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.db import Base, utcnow

team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


PRESENCE_STATES = ("online", "away", "offline")


class User(Base):
    __tablename__ = "users"
    # The sweep looks for present agents whose heartbeat or activity went stale.
    __table_args__ = (Index("ix_users_presence", "presence", "presence_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="agent")  # agent | admin
    skills: Mapped[list] = mapped_column(default=list)
    languages: Mapped[list] = mapped_column(default=list)
    capacity: Mapped[int] = mapped_column(default=20)  # open tickets in all, every channel
    # Open tickets per channel kind ({"chat": 3, "email": 10}); a kind left out takes the
    # team's, then the assignment settings' number (store/assignment/capacity.py).
    capacities: Mapped[dict] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Presence (store/staff/presence.py): the state the agent is in, valid while a console
    # heartbeat is fresher than the heartbeat TTL; the sweep turns stale ones offline.
    presence: Mapped[str] = mapped_column(String(10), default="offline")
    presence_seen_at: Mapped[datetime | None]  # last console heartbeat
    presence_active_at: Mapped[datetime | None]  # last sign of a person at the console
    presence_changed_at: Mapped[datetime | None]
    last_assigned_at: Mapped[datetime | None]  # round robin among equally loaded agents
    teams: Mapped[list[Team]] = relationship(secondary=team_members, back_populates="members")

    @property
    def online(self) -> bool:
        """The old boolean, kept readable for API clients: derived from presence."""
        return self.presence == "online"


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(default="")
    capacities: Mapped[dict] = mapped_column(default=dict)  # per channel kind, for its members
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # selectin: async sessions cannot lazy-load, and every read and update of a team needs them.
    members: Mapped[list[User]] = relationship(
        secondary=team_members, back_populates="teams", lazy="selectin"
    )


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
