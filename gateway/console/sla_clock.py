"""A ticket's SLA clock and its wait for a human, in the words the queue and ticket pages show.

The clocks come loaded with the ticket (Ticket.sla_clocks); nothing here reads the database.
The page's script (console/src/clock.js) re-counts `time left` each half minute from
data-due, so an open page keeps ticking without a reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.console.web import duration

LABELS = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}


@dataclass(frozen=True)
class Clock:
    metric: str
    label: str
    state: str  # running | paused | stopped | met
    tone: str  # ok | warn | breached | paused | met
    text: str  # "2 h 05 min left", "12 min overdue", "paused, 40 min left", "met"
    due_at: datetime | None
    warn_at: datetime | None


def _clock(row, now: datetime) -> Clock:
    label = LABELS.get(row.metric, row.metric)
    breached = row.breached_at is not None
    if row.state == "running" and row.due_at is not None:
        left = row.due_at - now
        breached = breached or left <= timedelta(0)
        warned = row.warn_at is not None and now >= row.warn_at
        tone = "breached" if breached else "warn" if warned else "ok"
        text = f"{duration(-left)} overdue" if left <= timedelta(0) else f"{duration(left)} left"
        return Clock(row.metric, label, row.state, tone, text, row.due_at, row.warn_at)
    if row.state == "met":
        late = breached or (row.due_at is not None and row.met_at and row.met_at > row.due_at)
        return Clock(row.metric, label, "met", "breached" if late else "met",
                     "met late" if late else "met", None, None)  # fmt: skip
    left = timedelta(seconds=row.remaining_seconds or 0)
    word = "paused" if row.state == "paused" else "stopped"
    tone = "breached" if breached or left <= timedelta(0) else "paused"
    return Clock(row.metric, label, row.state, tone, f"{word}, {duration(left)} left", None, None)


def clocks(ticket, now: datetime) -> list[Clock]:
    """Every target's clock, in the policy's order (first response, next, resolution)."""
    rows = sorted(ticket.sla_clocks, key=lambda r: list(LABELS).index(r.metric))
    return [_clock(row, now) for row in rows]


def headline(ticket, now: datetime) -> Clock | None:
    """The one clock the queue shows: the running one due soonest, else the worst of the rest."""
    found = clocks(ticket, now)
    running = [c for c in found if c.due_at is not None]
    if running:
        return min(running, key=lambda c: c.due_at)
    order = ("breached", "paused", "met", "ok", "warn")
    return min(found, key=lambda c: order.index(c.tone), default=None)


def needs_human(ticket, waiting) -> bool:
    """Waiting in a team's queue, or handed to humans with nobody on it yet."""
    if waiting is not None:
        return True
    unsolved = ticket.status_category in ("new", "open")
    return ticket.owner == "human" and ticket.assignee_id is None and unsolved


def waited(since: datetime, now: datetime) -> timedelta:
    """How long a ticket has waited (never negative, whoever's clock stamped it)."""
    return max(now - since, timedelta(0))
