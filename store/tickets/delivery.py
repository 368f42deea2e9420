"""Outbound delivery state: what the send job needs to know, and what it learned."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import SYSTEM
from store.outbox.service import emit
from store.tickets.models import Message


async def thread_refs(session: AsyncSession, *, ticket_id: int, before_id: int) -> list[str]:
    """External ids of the ticket's earlier messages, oldest first (email References)."""
    rows = await session.scalars(
        select(Message.external_id)
        .where(
            Message.ticket_id == ticket_id, Message.id < before_id, Message.external_id.is_not(None)
        )
        .order_by(Message.id)
    )
    return list(rows)


async def mark_sent(
    session: AsyncSession, *, message: Message, external_id: str, meta: dict | None = None
) -> None:
    message.external_id = external_id
    message.delivery_status = "sent"
    message.delivery_error = None
    message.meta = {**message.meta, **(meta or {})}
    emit(
        session,
        "message.sent",
        actor=SYSTEM,
        ticket_id=message.ticket_id,
        payload={"message_id": message.id, "external_id": external_id},
    )


async def mark_failed(session: AsyncSession, *, message: Message, error: str) -> None:
    message.delivery_status = "failed"
    message.delivery_error = error[:2000]
    emit(
        session,
        "message.failed",
        actor=SYSTEM,
        ticket_id=message.ticket_id,
        payload={"message_id": message.id, "error": error[:2000]},
    )


async def mark_status(
    session: AsyncSession, *, message: Message, status: str, error: str | None = None
) -> None:
    """A provider's delivery report (Twilio status callback, email bounce) on our message."""
    message.delivery_status = status
    message.delivery_error = error
    emit(
        session,
        f"message.{status}",
        actor=SYSTEM,
        ticket_id=message.ticket_id,
        payload={"message_id": message.id, "external_id": message.external_id, "error": error},
    )
