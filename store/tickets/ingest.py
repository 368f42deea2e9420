"""Inbound messages: the one path every channel's customer message takes into the store.

`ingest_batch` stores many messages in the caller's transaction with a fixed number of
statements (store/tickets/ingest_rows.py) instead of a dozen per message; `ingest` is a batch of
one. Messages of a batch see each other in order, as if stored one after another: the second
message of a new customer finds the contact and the ticket the first one opened, a repeated
external id is a duplicate of the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.contacts import service as contacts
from store.contacts.models import Contact, ContactIdentity
from store.db import utcnow
from store.messages import Identity, InboundMessage
from store.outbox.models import Event
from store.tickets import ingest_rows as rows
from store.tickets import service as tickets
from store.tickets.models import Attachment, Message, Ticket

# In these channels several people talk in one thread (a Slack thread); elsewhere a thread is
# one customer's, so another sender's reply never lands on their ticket.
MULTI_PARTY_CHANNELS = {"slack"}
REOPENABLE = ("new", "open", "pending", "solved")
QUIET = {"auto_reply", "bounce"}  # a machine's answer reopens nothing


@dataclass(frozen=True)
class Ingested:
    ticket_id: int
    ticket_number: int
    message_id: int
    duplicate: bool
    created_ticket: bool
    event_id: int  # the message.received event: its id orders the conversation (widget seq)
    stored: Message | rows.MessageRow = field(repr=False)
    # The event rows (column values and id) this message wrote, in order: ticket.created (when
    # it opened the ticket), message.received. None for a duplicate (it wrote none), and for a
    # reopening, whose audited events only the table knows.
    events: tuple[dict[str, Any], ...] | None = field(default=None, repr=False)

    @cached_property
    def message(self) -> Message:
        """The stored row, detached: read it, do not change it. Built when asked for (most
        callers need only the ids, and an ORM object per message is a cost under load)."""
        if isinstance(self.stored, Message):
            return self.stored
        return self.stored.to_message()


@dataclass
class IngestResult:
    ticket: Ticket  # in the caller's session
    message: Message
    duplicate: bool
    created_ticket: bool
    event_id: int


@dataclass(eq=False)
class _Contact:
    id: int | None
    name: str
    identity: tuple[str, str] | None = None  # set on a contact this batch creates


@dataclass(eq=False)
class _Ticket:
    id: int | None
    channel: str
    thread_key: str | None
    category: str
    contact_id: int | None = None  # a stored ticket's owner
    contact: _Contact | None = None  # a new ticket's owner
    row: dict[str, Any] | None = None  # a new ticket's column values

    @classmethod
    def stored(cls, r: rows.TicketRow) -> _Ticket:
        return cls(r.id, r.channel, r.thread_key, r.status_category, contact_id=r.contact_id)


@dataclass(eq=False)
class _Item:
    inbound: InboundMessage
    contact: _Contact | None = None
    actor_name: str = ""
    ticket: _Ticket | None = None
    created: bool = False
    row: rows.MessageRow | None = None
    event_id: int | None = None
    stored: tuple[int, int] | None = None  # a redelivery: (message id, ticket id)
    message: Message | None = None  # a redelivery's stored message
    same_as: _Item | None = None  # a redelivery within this batch
    events: list[dict[str, Any]] = field(default_factory=list)  # rows written, with their ids


def _same_party(ticket: _Ticket | None, inbound: InboundMessage, contact: _Contact) -> bool:
    if ticket is None:
        return False
    if inbound.channel in MULTI_PARTY_CHANNELS:
        return True
    if ticket.contact is not None:
        return ticket.contact is contact
    return contact.id is not None and ticket.contact_id == contact.id


def _event(type: str, item: _Item, **values) -> dict[str, Any]:
    """An outbox/audit event row, as store.outbox.service.emit writes it."""
    actor = Actor("customer", item.contact.id, item.actor_name)
    return rows.with_defaults(
        Event,
        {
            "type": type,
            "ticket_id": item.ticket.id,
            "actor_kind": actor.kind,
            "actor_id": actor.id,
            "actor_name": actor.name,
            "before": None,
            "after": None,
            "payload": {},
            **values,
        },
    )


class _Batch:
    """Plans every message in memory from a few set-based reads, then writes table by table."""

    def __init__(self, session: AsyncSession, inbounds: Sequence[InboundMessage]):
        self.session = session
        self.items = [_Item(inbound) for inbound in inbounds]
        self.now = utcnow()
        self.contacts: dict[tuple[str, str], _Contact] = {}
        self.contacts_by_id: dict[int, _Contact] = {}
        self.renamed: dict[int, str] = {}
        self.tickets: dict[int, _Ticket] = {}
        self.threads: dict[tuple[str, str | None], _Ticket] = {}
        self.planned: dict[tuple[str, str], _Item] = {}
        self.reopens: list[_Item] = []

    async def prefetch(self) -> None:
        inbounds = [item.inbound for item in self.items]
        self.stored = await rows.existing_messages(
            self.session, {(i.channel, i.external_id) for i in inbounds}
        )
        self.known = await rows.contacts_by_identity(
            self.session, {self._identity_key(i.sender) for i in inbounds}
        )
        found = await rows.latest_thread_tickets(
            self.session, {(i.channel, i.thread_key) for i in inbounds}, REOPENABLE
        )
        for key, row in found.items():
            self.threads[key] = self.tickets[row.id] = _Ticket.stored(row)

    @staticmethod
    def _identity_key(sender: Identity) -> tuple[str, str]:
        return sender.kind, contacts.normalise(sender.kind, sender.value)

    def contact_for(self, sender: Identity) -> _Contact:
        """The contact owning this identity (stored, or created earlier in the batch, or new)."""
        key = self._identity_key(sender)
        contact = self.contacts.get(key)
        if contact is None:
            if key in self.known:
                contact_id, name = self.known[key]
                contact = self.contacts_by_id.setdefault(contact_id, _Contact(contact_id, name))
            else:
                contact = _Contact(None, sender.display_name or "", identity=key)
            self.contacts[key] = contact
        if sender.display_name and not contact.name:
            contact.name = sender.display_name
            if contact.id is not None:
                self.renamed[contact.id] = contact.name
        return contact

    async def load_ticket(self, ticket_id: int | None) -> _Ticket | None:
        if ticket_id is None:
            return None
        if ticket_id not in self.tickets:
            row = await rows.ticket_row(self.session, ticket_id)
            if row is None:
                return None
            self.tickets[ticket_id] = _Ticket.stored(row)
        return self.tickets[ticket_id]

    async def by_refs(self, inbound: InboundMessage) -> _Ticket | None:
        """The ticket of the newest message (ours or theirs) these references name."""
        if not inbound.thread_refs:
            return None
        refs = set(inbound.thread_refs)
        mine = [i for (ch, ext), i in self.planned.items() if ch == inbound.channel and ext in refs]
        if mine:
            return mine[-1].ticket
        ticket_id = await self.session.scalar(
            select(Message.ticket_id)
            .where(Message.channel == inbound.channel, Message.external_id.in_(refs))
            .order_by(Message.id.desc())
            .limit(1)
        )
        return await self.load_ticket(ticket_id)

    async def find_ticket(self, inbound: InboundMessage, contact: _Contact) -> _Ticket | None:
        """References to our messages first, then a ticket token in the subject, then the
        thread's newest ticket that is not closed."""
        ticket = await self.by_refs(inbound)
        if _same_party(ticket, inbound, contact) and ticket.category != "closed":
            return ticket
        number = inbound.meta.get("ticket_number")
        if isinstance(number, int):
            ticket = await self.load_ticket(number)  # the number is the id
            if _same_party(ticket, inbound, contact) and ticket.category != "closed":
                return ticket
        ticket = self.threads.get((inbound.channel, inbound.thread_key))
        return ticket if _same_party(ticket, inbound, contact) else None

    def open_ticket(self, inbound: InboundMessage, contact: _Contact) -> _Ticket:
        subject = inbound.subject or inbound.text.strip().split("\n", 1)[0][:80] or "(no subject)"
        values = {
            "channel": inbound.channel,
            "subject": subject[:500],
            "thread_key": inbound.thread_key,
            "channel_account_id": inbound.account_id,
            "language": inbound.language,
            "created_at": self.now,
            "updated_at": self.now,
        }
        ticket = _Ticket(None, inbound.channel, inbound.thread_key, "new", contact=contact)
        ticket.row = rows.with_defaults(Ticket, values)
        self.threads[(inbound.channel, inbound.thread_key)] = ticket  # the thread's newest now
        return ticket

    async def plan(self, item: _Item) -> None:
        inbound = item.inbound
        key = (inbound.channel, inbound.external_id)
        if key in self.planned:
            item.same_as = self.planned[key]
            return
        if key in self.stored:
            item.stored = self.stored[key]
            return
        item.contact = contact = self.contact_for(inbound.sender)
        item.actor_name = contact.name or inbound.sender.value
        ticket = await self.find_ticket(inbound, contact)
        item.created = ticket is None
        if ticket is None:
            ticket = self.open_ticket(inbound, contact)
        elif not QUIET & inbound.flags and ticket.category in ("pending", "solved"):
            ticket.category = "open"
            self.reopens.append(item)
        item.ticket = ticket
        item.row = rows.message_row(inbound)
        self.planned[key] = item

    @property
    def new(self) -> list[_Item]:
        return [i for i in self.items if i.row is not None]

    async def write_contacts(self) -> None:
        fresh = list({id(c): c for i in self.new if (c := i.contact).id is None}.values())
        values = []
        for contact in fresh:
            kind, value = contact.identity
            email, phone = (
                (value if kind == "email" else None),
                (value if kind == "phone" else None),
            )
            row = {"name": contact.name, "email": email, "phone": phone, "attributes": {}}
            values.append(rows.with_defaults(Contact, row))
        for contact, contact_id in zip(
            fresh, await rows.insert_rows(self.session, Contact.__table__, values), strict=True
        ):
            contact.id = contact_id
        identities = [
            rows.with_defaults(ContactIdentity, {"contact_id": c.id, "kind": k, "value": v})
            for c in fresh
            for k, v in [c.identity]
        ]
        await rows.insert_rows(self.session, ContactIdentity.__table__, identities)
        await rows.set_contact_names(self.session, self.renamed)

    async def write_tickets(self) -> None:
        fresh = [i.ticket for i in self.new if i.created]
        for ticket in fresh:
            ticket.row["contact_id"] = ticket.contact.id
        ids = await rows.insert_rows(self.session, Ticket.__table__, [t.row for t in fresh])
        for ticket, ticket_id in zip(fresh, ids, strict=True):
            ticket.id = ticket_id
        for item in self.reopens:  # rare: the audited update path, event before the message's
            row = await self.session.get(Ticket, item.ticket.id)
            actor = Actor("customer", item.contact.id, item.actor_name)
            await tickets.reopen(self.session, ticket=row, actor=actor)
        touched = {i.ticket.id for i in self.new if not i.created}
        await rows.touch_tickets(self.session, touched, self.now)

    async def write_messages(self) -> None:
        new = self.new
        values = [item.row.values | {"ticket_id": item.ticket.id} for item in new]
        ids = await rows.insert_rows(self.session, Message.__table__, values)
        for item, row, message_id in zip(new, values, ids, strict=True):
            item.row.values = row | {"id": message_id}
        attachments = [(a, i.row.values["id"]) for i in new for a in i.row.attachments]
        values = [a | {"message_id": message_id} for a, message_id in attachments]
        ids = await rows.insert_rows(self.session, Attachment.__table__, values)
        for (attachment, message_id), attachment_id in zip(attachments, ids, strict=True):
            attachment.update(id=attachment_id, message_id=message_id)

    async def write_events(self) -> None:
        """One INSERT for every event, in message order (ticket.created before the message)."""
        plan: list[tuple[_Item, bool]] = []
        values = []
        for item in self.new:
            ticket, inbound = item.ticket, item.inbound
            if item.created:
                shown = Ticket(**ticket.row, id=ticket.id, tag_rows=[])
                after = tickets.snapshot(shown) | {"channel": ticket.channel, "number": ticket.id}
                values.append(_event("ticket.created", item, after=after))
                plan.append((item, False))
            payload = {
                "message_id": item.row.values["id"],
                "channel": inbound.channel,
                "flags": sorted(inbound.flags),
                "text": inbound.text[:2000],
                "contact_id": item.contact.id,
                "created_ticket": item.created,
            }
            values.append(_event("message.received", item, payload=payload))
            plan.append((item, True))
        ids = await rows.insert_rows(self.session, Event.__table__, values)
        for (item, received), value, event_id in zip(plan, values, ids, strict=True):
            item.events.append(value | {"id": event_id})
            if received:
                item.event_id = event_id
        if ids:
            self.session.info["events_written"] = True  # as emit(): wake the dispatcher

    async def redeliveries(self) -> None:
        """Stored messages delivered again: answer with what was stored the first time."""
        stored = {i.stored[0]: i.stored[1] for i in self.items if i.stored}
        messages = await rows.load_messages(self.session, stored)
        events = await rows.received_event_ids(self.session, stored)
        for item in self.items:
            if item.stored:
                message_id = item.stored[0]
                if message_id not in events:
                    raise LookupError(f"message {message_id} has no message.received event")
                item.message, item.event_id = messages[message_id], events[message_id]

    def outcome(self, item: _Item) -> Ingested:
        if item.same_as is not None:
            first = self.outcome(item.same_as)
            return replace(first, duplicate=True, created_ticket=False, events=None)
        if item.stored:
            message_id, ticket_id = item.stored
            return Ingested(
                ticket_id, ticket_id, message_id, True, False, item.event_id, item.message
            )
        ticket_id, message_id = item.ticket.id, item.row.values["id"]
        events = None if item in self.reopens else tuple(item.events)
        return Ingested(
            ticket_id, ticket_id, message_id, False, item.created, item.event_id, item.row, events
        )


async def ingest_batch(session: AsyncSession, inbounds: Sequence[InboundMessage]) -> list[Ingested]:
    """Store inbound messages in the caller's transaction, idempotent on (channel, external_id).

    Finds or creates each sender's contact by identity, threads into the open ticket (or opens
    one), stores message and attachments, and writes the events the dispatcher fans out.
    """
    batch = _Batch(session, inbounds)
    await batch.prefetch()
    for item in batch.items:
        await batch.plan(item)
    await batch.write_contacts()
    await batch.write_tickets()
    await batch.write_messages()
    await batch.write_events()
    await batch.redeliveries()
    return [batch.outcome(item) for item in batch.items]


async def ingest(session: AsyncSession, *, inbound: InboundMessage) -> IngestResult:
    """Store one inbound message (a batch of one); the ticket comes back in this session."""
    [done] = await ingest_batch(session, [inbound])
    ticket = await session.get(Ticket, done.ticket_id, populate_existing=True)
    return IngestResult(ticket, done.message, done.duplicate, done.created_ticket, done.event_id)
