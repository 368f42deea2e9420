"""Audit-only events: kept in the event log, never fanned out to sockets, webhooks or jobs.

Sign-in events name accounts and client addresses: no business of every console socket or
webhook subscriber, so they are written as already dispatched.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.db import utcnow
from store.outbox.models import Event
from store.outbox.service import emit


def record(session: AsyncSession, type: str, *, actor: Actor, payload: dict[str, Any]) -> Event:
    event = emit(session, type, actor=actor, payload=payload)
    event.dispatched_at = utcnow()
    return event
