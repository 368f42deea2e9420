"""Ticket services: get, create, update (audited), reply, notes, bulk update."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store import files
from store.actor import Actor
from store.config import service as config
from store.contacts import service as contacts
from store.db import utcnow
from store.errors import Invalid
from store.html import sanitize_html
from store.outbox.service import emit
from store.rows import assign, get_or_raise
from store.staff.models import Team, User
from store.tickets.models import Attachment, Message, Note, Ticket, TicketTag
from store.tickets.schemas import TicketCreate, TicketUpdate

AUDITED = (
    "subject",
    "status",
    "priority",
    "assignee_id",
    "team_id",
    "tags",
    "custom_fields",
    "owner",
)


def snapshot(ticket: Ticket, keys=AUDITED) -> dict[str, Any]:
    return {key: getattr(ticket, key) for key in keys}


async def get(session: AsyncSession, *, ticket_id: int) -> Ticket:
    return await get_or_raise(session, Ticket, ticket_id, "ticket")


async def get_by_number(session: AsyncSession, *, number: int) -> Ticket | None:
    return await session.get(Ticket, number)  # the number is the id


async def latest_by_thread(
    session: AsyncSession, *, channel: str, thread_key: str, categories: tuple[str, ...] = ()
) -> Ticket | None:
    """The newest ticket of a conversation (optionally only in these status categories)."""
    query = select(Ticket).where(Ticket.channel == channel, Ticket.thread_key == thread_key)
    if categories:
        query = query.where(Ticket.status_category.in_(categories))
    return await session.scalar(query.order_by(Ticket.id.desc()).limit(1))


async def get_message_by_external_id(
    session: AsyncSession, *, channel: str, external_id: str
) -> Message | None:
    """A message by the provider's id for it (unique per channel)."""
    return await session.scalar(
        select(Message).where(Message.channel == channel, Message.external_id == external_id)
    )


def attachment_row(
    filename: str, content_type: str, data: bytes, *, inline: bool = False
) -> Attachment:
    """An attachment whose bytes are stored (content-addressed) before the row is."""
    return Attachment(
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=files.put(data),
        inline=inline,
    )


# New tickets start "new" and customer or agent activity moves them to "open": both are
# built-in statuses, seeded first and never deletable, so no lookup is needed.


async def open_ticket(
    session: AsyncSession,
    *,
    channel: str,
    subject: str,
    contact_id: int | None,
    actor: Actor,
    thread_key: str | None = None,
    channel_account_id: int | None = None,
) -> Ticket:
    """Insert a new ticket; its number is its id (unique on both engines, no second write)."""
    ticket = Ticket(
        channel=channel,
        subject=subject[:500],
        contact_id=contact_id,
        thread_key=thread_key,
        channel_account_id=channel_account_id,
        status="new",
        tag_rows=[],
    )
    session.add(ticket)
    await session.flush()
    emit(
        session,
        "ticket.created",
        actor=actor,
        ticket_id=ticket.id,
        after=snapshot(ticket) | {"channel": channel, "number": ticket.number},
    )
    return ticket


async def create(session: AsyncSession, *, data: TicketCreate, actor: Actor) -> Ticket:
    """A ticket opened through the API on the customer's behalf (channel 'api')."""
    identities = [
        (k, v) for k, v in (("email", data.customer.email), ("phone", data.customer.phone)) if v
    ]
    if not identities:
        raise Invalid("customer needs an email or a phone")
    contact = None
    for kind, value in identities:
        contact = contact or await contacts.get_by_identity(session, kind=kind, value=value)
    contact = contact or await contacts.create(
        session, name=data.customer.name or "", identities=identities
    )
    ticket = await open_ticket(
        session, channel="api", subject=data.subject, contact_id=contact.id, actor=actor
    )
    session.add(
        Message(
            ticket_id=ticket.id,
            direction="in",
            author_kind="customer",
            channel="api",
            text=data.body,
            subject=data.subject,
        )
    )
    initial = data.model_dump(
        include={"priority", "tags", "custom_fields", "team_id", "assignee_id"},
        exclude_defaults=True,
    )
    if initial:
        await update(session, ticket_id=ticket.id, changes=TicketUpdate(**initial), actor=actor)
    await session.flush()
    return ticket


async def _apply_tags(ticket: Ticket, changes: TicketUpdate) -> None:
    tags = set(ticket.tags) if changes.tags is None else set(changes.tags)
    tags |= set(changes.add_tags or [])
    tags -= set(changes.remove_tags or [])
    tags = {t.strip().lower() for t in tags if t.strip()}
    if tags != set(ticket.tags):
        ticket.tag_rows = [TicketTag(tag=t) for t in sorted(tags)]


async def _check_refs(session: AsyncSession, changes: TicketUpdate) -> None:
    if changes.assignee_id is not None and await session.get(User, changes.assignee_id) is None:
        raise Invalid(f"assignee {changes.assignee_id} is not a user")
    if changes.team_id is not None and await session.get(Team, changes.team_id) is None:
        raise Invalid(f"team {changes.team_id} does not exist")


async def update(
    session: AsyncSession, *, ticket_id: int, changes: TicketUpdate, actor: Actor
) -> Ticket:
    """Apply changes and write one audit event holding only what changed."""
    ticket = await get(session, ticket_id=ticket_id)
    before = snapshot(ticket)
    await _check_refs(session, changes)
    fields = changes.model_dump(
        exclude_unset=True, exclude={"tags", "add_tags", "remove_tags", "custom_fields"}
    )
    assign(ticket, fields)
    if "status" in fields:
        await _set_status(session, ticket, fields["status"])
    if changes.custom_fields is not None:
        ticket.custom_fields = await config.validate_fields(
            session, values=changes.custom_fields, current=ticket.custom_fields
        )
    await _apply_tags(ticket, changes)
    after = snapshot(ticket)
    diff = [k for k in AUDITED if before[k] != after[k]]
    if diff:
        ticket.updated_at = utcnow()
        emit(
            session,
            "ticket.updated",
            actor=actor,
            ticket_id=ticket.id,
            before={k: before[k] for k in diff},
            after={k: after[k] for k in diff},
        )
    await session.flush()
    return ticket


async def _set_status(session: AsyncSession, ticket: Ticket, status: str) -> None:
    ticket.status_category = await config.status_category(session, status=status)
    if ticket.status_category in ("solved", "closed"):
        ticket.solved_at = ticket.solved_at or utcnow()
    else:
        ticket.solved_at = None


async def reopen(session: AsyncSession, *, ticket: Ticket, actor: Actor) -> None:
    """A customer wrote again: a pending or solved ticket goes back to open."""
    if ticket.status_category in ("pending", "solved"):
        await update(session, ticket_id=ticket.id, changes=TicketUpdate(status="open"), actor=actor)


async def reply(
    session: AsyncSession,
    *,
    ticket_id: int,
    body: str,
    actor: Actor,
    html: str | None = None,
    automated: bool = False,
    attachments: list[tuple[str, str, bytes]] = (),
) -> Message:
    """An agent's or the bot's message out, queued for delivery on the ticket's channel."""
    ticket = await get(session, ticket_id=ticket_id)
    author_kind = "bot" if actor.kind == "bot" else "agent"
    message = Message(
        ticket_id=ticket.id,
        direction="out",
        author_kind=author_kind,
        author_id=actor.id if actor.kind == "user" else None,
        channel=ticket.channel,
        text=body,
        html=sanitize_html(html) if html else None,  # rich replies: one cleaner for all
        delivery_status="queued",
        meta={"automated": automated or author_kind == "bot"},
        attachments=[attachment_row(n, t, d) for n, t, d in attachments],
    )
    session.add(message)
    if author_kind == "agent":
        ticket.first_response_at = ticket.first_response_at or utcnow()
        if ticket.owner != "human":
            await update(
                session, ticket_id=ticket.id, changes=TicketUpdate(owner="human"), actor=actor
            )
    if ticket.status_category == "new":
        await update(session, ticket_id=ticket.id, changes=TicketUpdate(status="open"), actor=actor)
    ticket.updated_at = utcnow()
    await session.flush()
    emit(
        session,
        "message.queued",
        actor=actor,
        ticket_id=ticket.id,
        payload={
            "message_id": message.id,
            "channel": ticket.channel,
            "author_kind": author_kind,
            "text": body[:2000],
        },
    )
    return message


async def list_messages(session: AsyncSession, *, ticket_id: int) -> list[Message]:
    await get(session, ticket_id=ticket_id)
    rows = await session.scalars(
        select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)
    )
    return list(rows)


async def add_note(session: AsyncSession, *, ticket_id: int, body: str, actor: Actor) -> Note:
    await get(session, ticket_id=ticket_id)
    note = Note(
        ticket_id=ticket_id,
        body=body,
        author_kind=actor.kind,
        author_id=actor.id if actor.kind == "user" else None,
    )
    session.add(note)
    await session.flush()
    emit(
        session,
        "note.created",
        actor=actor,
        ticket_id=ticket_id,
        payload={"note_id": note.id, "body": body[:2000]},
    )
    return note


async def list_notes(session: AsyncSession, *, ticket_id: int) -> list[Note]:
    await get(session, ticket_id=ticket_id)
    rows = await session.scalars(select(Note).where(Note.ticket_id == ticket_id).order_by(Note.id))
    return list(rows)


async def bulk_update(
    session: AsyncSession, *, ids: list[int], changes: TicketUpdate, actor: Actor
) -> list[Ticket]:
    """All or nothing: one invalid id or value rolls back the whole batch."""
    return [await update(session, ticket_id=i, changes=changes, actor=actor) for i in ids]
