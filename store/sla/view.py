"""A ticket's `sla` as the API shows it, from the clock rows loaded with the ticket (no query
of its own, so list pages stay one query per page for it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect
from sqlalchemy.orm.base import NO_VALUE

from store.db import utcnow
from store.sla.models import SlaClock
from store.sla.schemas import SlaRead, SlaTargetRead


def target_view(row: SlaClock, now: datetime) -> SlaTargetRead:
    if row.state == "running" and row.due_at is not None:
        left = int((row.due_at - now).total_seconds())
        breached = row.breached_at is not None or row.due_at <= now
    else:
        left = None if row.state == "met" else row.remaining_seconds
        late = row.state == "met" and row.due_at is not None and row.met_at > row.due_at
        breached = row.breached_at is not None or late or (left is not None and left <= 0)
    return SlaTargetRead(
        state=row.state,
        target_minutes=row.target_seconds / 60,
        started_at=row.started_at,
        due_at=row.due_at,
        time_left_seconds=left,
        breached=breached,
        paused=row.state == "paused",
        met_at=row.met_at,
    )


def sla_view(rows: list[SlaClock], now: datetime | None = None) -> SlaRead | None:
    if not rows:
        return None
    now = now or utcnow()
    targets = {row.metric: target_view(row, now) for row in rows}
    running = [row.due_at for row in rows if row.state == "running" and row.due_at]
    return SlaRead(
        policy_id=rows[0].policy_id,
        next_due_at=min(running, default=None),
        breached=any(t.breached for t in targets.values()),
        **targets,
    )


def sla_of(ticket: object) -> SlaRead | None:
    """The ticket's SLA if its clocks were loaded with it (a ticket created in this request
    has none yet: its clocks start when the outbox runs the SLA job)."""
    state = inspect(ticket, raiseerr=False)
    if state is None or "sla_clocks" not in state.attrs:
        return None  # not a mapped ticket (a dict, a test double)
    loaded = state.attrs.sla_clocks.loaded_value
    return None if loaded is NO_VALUE else sla_view(list(loaded))
