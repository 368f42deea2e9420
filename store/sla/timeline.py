"""A ticket's SLA clocks computed from what happened to it (pure; no database).

Rebuilt from the whole history every time rather than nudged event by event, so the result
does not depend on the order in which jobs run, and a priority or team change re-applies
the targets from the start (as Zendesk does).

- first_response: from creation to the first public reply (human or bot; automatic
  out-of-hours replies are left out by the caller).
- next_response: from the first customer message after a reply to the next reply; only the
  latest such cycle is kept.
- resolution: from creation to solved/closed; a reopened ticket's clock goes on from there.
Business time counts only while the ticket is new or open: it is paused while pending (waits
on the customer) and stopped while solved or closed (a reopened ticket resumes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from store.sla.hours import Schedule

Period = tuple[datetime, datetime | None]  # not counting, from .. to (None: still)


@dataclass(frozen=True)
class Fact:
    at: datetime
    kind: str  # customer | reply | status
    category: str | None = None  # status: the new status category


@dataclass(frozen=True)
class Cycle:
    metric: str
    start: datetime
    met: datetime | None


@dataclass(frozen=True)
class Clock:
    metric: str
    state: str  # running | paused | stopped | met
    target: timedelta
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    met_at: datetime | None
    remaining: timedelta | None  # paused or stopped: business time left (negative: overdue)
    breached: bool


@dataclass
class _History:
    periods: list[tuple[datetime, datetime | None, str]]  # (from, to, paused|stopped)
    cycles: dict[str, Cycle]


def _periods_and_cycles(created: datetime, facts: list[Fact]) -> _History:
    history = _History([], {"first_response": Cycle("first_response", created, None)})
    resolution = Cycle("resolution", created, None)
    replied = False
    for fact in facts:
        if fact.kind == "status":
            _status(history, fact)
            done = fact.category in ("solved", "closed")
            resolution = Cycle("resolution", created, fact.at if done else None)
        elif fact.kind == "reply":
            replied = True
            for metric in ("first_response", "next_response"):
                cycle = history.cycles.get(metric)
                if cycle and cycle.met is None:
                    history.cycles[metric] = Cycle(metric, cycle.start, fact.at)
        elif fact.kind == "customer" and replied:
            running = history.cycles.get("next_response")
            if running is None or running.met is not None:
                history.cycles["next_response"] = Cycle("next_response", fact.at, None)
    history.cycles["resolution"] = resolution
    return history


def _status(history: _History, fact: Fact) -> None:
    kind = {"pending": "paused", "solved": "stopped", "closed": "stopped"}.get(fact.category)
    last = history.periods[-1] if history.periods else None
    if last and last[1] is None:
        if last[2] == kind:
            return  # e.g. solved -> closed: still stopped since then
        history.periods[-1] = (last[0], fact.at, last[2])
    if kind:
        history.periods.append((fact.at, None, kind))


def _clip(periods, start: datetime, end: datetime | None) -> list[Period]:
    out = []
    for lo, hi, _ in periods:
        if (hi is not None and hi <= start) or (end is not None and lo >= end):
            continue
        out.append((max(lo, start), hi))
    return out


def due(schedule: Schedule, start: datetime, target: timedelta, periods: list[Period]):
    """When `target` of counted business time has passed since `start`, skipping `periods`;
    None while an open-ended period holds it (or the schedule never opens)."""
    cursor, left = start, target
    for lo, hi in periods:
        if hi is not None and hi <= cursor:
            continue
        lo = max(lo, cursor)
        reached = schedule.add(cursor, left)
        if reached is None or reached <= lo:
            return reached
        left -= schedule.between(cursor, lo)
        if hi is None:
            return None
        cursor = hi
    return schedule.add(cursor, left)


def elapsed(schedule: Schedule, start: datetime, until: datetime, periods: list[Period]):
    total = schedule.between(start, until)
    for lo, hi in periods:
        if lo < until:
            total -= schedule.between(lo, min(hi or until, until))
    return total


def compute(
    created: datetime,
    facts: list[Fact],
    targets: dict[str, timedelta],
    warn_percent: int,
    schedule: Schedule,
    now: datetime,
) -> list[Clock]:
    """The clock of every target in `targets` (metric -> business time) that has a cycle."""
    history = _periods_and_cycles(created, facts)
    clocks = []
    for metric, target in targets.items():
        cycle = history.cycles.get(metric)
        if cycle is not None:
            clocks.append(_clock(cycle, target, warn_percent, schedule, history.periods, now))
    return clocks


def _clock(cycle: Cycle, target, warn_percent, schedule, all_periods, now) -> Clock:
    periods = _clip(all_periods, cycle.start, cycle.met)
    due_at = due(schedule, cycle.start, target, periods)
    base = dict(metric=cycle.metric, target=target, started_at=cycle.start, met_at=cycle.met)
    if cycle.met is not None:
        late = due_at is not None and cycle.met > due_at
        return Clock(
            **base, state="met", due_at=due_at, warn_at=None, remaining=None, breached=late
        )
    if periods and periods[-1][1] is None:  # pending, solved or closed right now
        left = target - elapsed(schedule, cycle.start, periods[-1][0], periods)
        return Clock(
            **base,
            state=all_periods[-1][2],
            due_at=None,
            warn_at=None,
            remaining=left,
            breached=left <= timedelta(0),
        )
    warn_at = due(schedule, cycle.start, target * warn_percent / 100, periods)
    breached = due_at is not None and due_at <= now
    return Clock(
        **base, state="running", due_at=due_at, warn_at=warn_at, remaining=None, breached=breached
    )
