"""Pydantic shapes of the assignment settings, the queue and an assignment's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from store.schemas import Strict
from store.staff.schemas import Capacities


class AssignmentSettingsUpdate(Strict):
    """Fields left out keep their value; `default_team_id: null` clears the default team."""

    default_team_id: int | None = None
    capacities: Capacities | None = None
    idle_away_minutes: int | None = Field(default=None, ge=0, le=1440)  # 0: never
    offline_grace_seconds: int | None = Field(default=None, ge=0, le=3600)
    # Consoles beat every third of it; under 15 s that is a write every few seconds per agent.
    heartbeat_ttl_seconds: int | None = Field(default=None, ge=15, le=3600)
    reassign_on_offline: bool | None = None
    # An assigned ticket its assignee has not opened (or one waiting unassigned) this long,
    # in wall-clock minutes: an email to them (to the team's agents); 0: never.
    unseen_alert_minutes: int | None = Field(default=None, ge=0, le=10080)


class AssignmentSettingsRead(BaseModel):
    default_team_id: int | None
    capacities: dict[str, int]  # every kind, defaults filled in
    idle_away_minutes: int
    offline_grace_seconds: int
    heartbeat_ttl_seconds: int
    heartbeat_every_seconds: int  # how often a console should send `heartbeat`
    reassign_on_offline: bool
    unseen_alert_minutes: int


class QueuedRead(BaseModel):
    """A ticket waiting for a human, in the order it will be assigned."""

    ticket_id: int
    position: int  # 1 = next in its team's queue
    team_id: int | None
    kind: str
    priority: str
    subject: str
    channel: str
    reason: str
    queued_at: datetime


@dataclass(frozen=True)
class Outcome:
    """What an assignment did: who got the ticket (None: it waits in the team's queue)."""

    ticket_id: int
    team_id: int | None
    user_id: int | None
    why: str
    queued: bool = False


class WaitingRead(BaseModel):
    """What a customer may know about their wait for a human (the widget shows it).

    state: none (no human is needed, or the ticket is closed) | queued (waiting in the team's
    queue, someone is online and the team is open) | assigned (an agent has it) | offline
    (a human is needed but nobody in the team is online, or the team is closed: the widget
    offers its email form and says when it opens)."""

    ticket_id: int | None
    state: str
    position: int | None = None  # 1 = next in the team's queue
    expected_wait_seconds: int | None = None  # None: too few recent waits to say
    agents_online: int = 0
    open_now: bool = True
    next_open: datetime | None = None
    assignee_name: str | None = None
