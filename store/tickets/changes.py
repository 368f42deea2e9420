"""Edits and deletions of a stored message, made on the provider's side, recorded on its ticket."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.outbox.service import emit
from store.tickets.models import Message
from store.tickets.service import get_message_by_external_id

DELETED_FLAG = "deleted"


async def record_edit(
    session: AsyncSession, *, channel: str, external_id: str, text: str, actor: Actor
) -> Message | None:
    """Update the message's text and emit "message.edited" with before/after.

    None when we never stored that message (sent before the channel was set up, or noise).
    A repeated edit (the provider's redelivery) changes nothing and emits nothing.
    """
    message = await get_message_by_external_id(session, channel=channel, external_id=external_id)
    if message is None or message.text == text:
        return message
    before = message.text
    message.text = text
    await session.flush()
    emit(
        session,
        "message.edited",
        actor=actor,
        ticket_id=message.ticket_id,
        before={"text": before},
        after={"text": text},
        payload={"message_id": message.id, "channel": channel, "external_id": external_id},
    )
    return message


async def record_deletion(
    session: AsyncSession, *, channel: str, external_id: str, actor: Actor
) -> Message | None:
    """Flag the message deleted and emit "message.deleted"; the text stays for the audit trail."""
    message = await get_message_by_external_id(session, channel=channel, external_id=external_id)
    if message is None or DELETED_FLAG in message.flags:
        return message
    message.flags = [*message.flags, DELETED_FLAG]  # a new list, so the JSON column is dirty
    await session.flush()
    emit(
        session,
        "message.deleted",
        actor=actor,
        ticket_id=message.ticket_id,
        before={"text": message.text},
        after=None,
        payload={"message_id": message.id, "channel": channel, "external_id": external_id},
    )
    return message
