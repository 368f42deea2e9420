"""Writing events (audit + outbox) and webhook subscriptions."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.outbox.models import Delivery, Event, Webhook
from store.rows import assign, get_or_raise


def emit(
    session: AsyncSession,
    type: str,
    *,
    actor: Actor,
    ticket_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Record an event in the caller's transaction; the dispatcher delivers it after commit."""
    event = Event(
        type=type,
        ticket_id=ticket_id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        before=before,
        after=after,
        payload=payload or {},
    )
    session.add(event)
    session.info["events_written"] = True
    return event


async def list_events(
    session: AsyncSession, *, ticket_id: int, after_id: int = 0, limit: int = 500
) -> list[Event]:
    rows = await session.scalars(
        select(Event)
        .where(Event.ticket_id == ticket_id, Event.id > after_id)
        .order_by(Event.id)
        .limit(limit)
    )
    return list(rows)


async def create_webhook(
    session: AsyncSession, *, url: str, event_types: list[str], secret: str | None = None
) -> Webhook:
    hook = Webhook(url=url, event_types=event_types, secret=secret or secrets.token_urlsafe(32))
    session.add(hook)
    await session.flush()
    return hook


async def get_webhook(session: AsyncSession, *, webhook_id: int) -> Webhook:
    return await get_or_raise(session, Webhook, webhook_id, "webhook")


async def list_webhooks(session: AsyncSession) -> list[Webhook]:
    return list(await session.scalars(select(Webhook).order_by(Webhook.id)))


async def update_webhook(
    session: AsyncSession, *, webhook_id: int, changes: dict[str, Any]
) -> Webhook:
    hook = await get_webhook(session, webhook_id=webhook_id)
    assign(hook, changes)
    if changes.get("active"):
        hook.consecutive_failures = 0
        hook.disabled_reason = None
    await session.flush()
    return hook


async def delete_webhook(session: AsyncSession, *, webhook_id: int) -> None:
    await session.delete(await get_webhook(session, webhook_id=webhook_id))
    await session.flush()


async def list_deliveries(
    session: AsyncSession, *, webhook_id: int, limit: int = 100
) -> list[Delivery]:
    rows = await session.scalars(
        select(Delivery)
        .where(Delivery.webhook_id == webhook_id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    return list(rows)
