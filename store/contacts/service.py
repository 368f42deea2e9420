"""Contacts: find a person by any of their channel identities, create, update, list, merge."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy import update as update_rows
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.contacts.models import Contact, ContactIdentity
from store.errors import Conflict, Invalid
from store.messages import Identity
from store.outbox.service import emit
from store.rows import assign, get_or_raise
from store.tickets.models import Ticket


def normalise(kind: str, value: str) -> str:
    value = value.strip()
    return value.lower() if kind == "email" else value


async def get(session: AsyncSession, *, contact_id: int) -> Contact:
    return await get_or_raise(session, Contact, contact_id, "contact")


async def get_by_identity(session: AsyncSession, *, kind: str, value: str) -> Contact | None:
    return await session.scalar(
        select(Contact)
        .join(ContactIdentity)
        .where(ContactIdentity.kind == kind, ContactIdentity.value == normalise(kind, value))
    )


async def list_by_ids(session: AsyncSession, *, ids: set[int] | list[int]) -> dict[int, Contact]:
    """The contacts with these ids, by id (missing ones are simply absent)."""
    if not ids:
        return {}
    rows = await session.scalars(select(Contact).where(Contact.id.in_(ids)))
    return {c.id: c for c in rows}


async def resolve(session: AsyncSession, *, identity: Identity) -> Contact:
    """The contact who owns this identity, created on first contact."""
    contact = await get_by_identity(session, kind=identity.kind, value=identity.value)
    if contact is not None:
        if identity.display_name and not contact.name:
            contact.name = identity.display_name
        return contact
    # Nobody owns the identity (just looked), so it is attached without asking again.
    contact = Contact(name=identity.display_name or "", attributes={}, identities=[])
    _attach(contact, identity.kind, normalise(identity.kind, identity.value))
    session.add(contact)
    await session.flush()
    return contact


async def create(
    session: AsyncSession,
    *,
    name: str = "",
    identities: list[tuple[str, str]] = (),
    vip: bool = False,
    attributes: dict[str, Any] | None = None,
) -> Contact:
    contact = Contact(name=name, vip=vip, attributes=attributes or {}, identities=[])
    session.add(contact)
    for kind, value in identities:
        await add_identity(session, contact=contact, kind=kind, value=value)
    await session.flush()
    return contact


async def add_identity(session: AsyncSession, *, contact: Contact, kind: str, value: str) -> None:
    value = normalise(kind, value)
    owner = await get_by_identity(session, kind=kind, value=value)
    if owner is not None and owner is not contact:
        raise Conflict(f"{kind} {value} already belongs to contact {owner.id}")
    if owner is None:
        _attach(contact, kind, value)


def _attach(contact: Contact, kind: str, value: str) -> None:
    contact.identities.append(ContactIdentity(kind=kind, value=value))
    if kind == "email" and not contact.email:
        contact.email = value
    if kind == "phone" and not contact.phone:
        contact.phone = value


async def update(session: AsyncSession, *, contact_id: int, changes: dict[str, Any]) -> Contact:
    contact = await get(session, contact_id=contact_id)
    for kind, value in changes.pop("identities", None) or []:
        await add_identity(session, contact=contact, kind=kind, value=value)
    assign(contact, changes)
    await session.flush()
    return contact


async def list_contacts(
    session: AsyncSession, *, q: str | None = None, after_id: int = 0, limit: int = 50
) -> list[Contact]:
    query = select(Contact).where(Contact.id > after_id).order_by(Contact.id).limit(limit)
    if q:
        like = f"%{q.lower()}%"
        ids = select(ContactIdentity.contact_id).where(ContactIdentity.value.like(like))
        query = query.where(or_(Contact.name.ilike(like), Contact.id.in_(ids)))
    return list(await session.scalars(query))


async def merge(session: AsyncSession, *, keep: Contact, other: Contact, actor: Actor) -> Contact:
    """One person known twice: `other`'s identities and tickets move to `keep`, `other` goes.

    `keep`'s own details win; `other` only fills what `keep` lacks. One "contact.merged" event
    records what moved, in the caller's transaction.
    """
    if keep.id == other.id:
        raise Invalid(f"contact {keep.id} cannot be merged into itself")
    await _lock_both(session, keep, other)
    merged = _summary(other)
    for identity in list(other.identities):
        identity.contact = keep  # moved, not orphaned: the delete cascade leaves it alone
    keep.name = keep.name or other.name
    keep.email = keep.email or other.email
    keep.phone = keep.phone or other.phone
    keep.vip = keep.vip or other.vip
    keep.attributes = {**other.attributes, **keep.attributes}
    ticket_ids = list(await session.scalars(select(Ticket.id).where(Ticket.contact_id == other.id)))
    if ticket_ids:
        await session.execute(
            update_rows(Ticket).where(Ticket.id.in_(ticket_ids)).values(contact_id=keep.id)
        )
    await session.flush()  # identities and tickets point at `keep` before `other` is deleted
    await session.delete(other)
    emit(
        session,
        "contact.merged",
        actor=actor,
        before={"contact": merged},
        after={"contact": _summary(keep)},
        payload={
            "contact_id": keep.id,
            "merged_contact_id": merged["id"],
            "ticket_ids": ticket_ids,
        },
    )
    await session.flush()
    return keep


async def claim_email(
    session: AsyncSession, *, contact: Contact, email: str, actor: Actor
) -> Contact:
    """`contact` has this email address: the contact who already owns it is the same person.

    The address joins `contact`, or, when another contact owns it, `contact` merges into that
    one (a customer first known by email stays one contact). Returns the surviving contact.
    """
    owner = await get_by_identity(session, kind="email", value=email)
    if owner is None:
        await add_identity(session, contact=contact, kind="email", value=email)
        await session.flush()
        return contact
    if owner.id == contact.id:
        return contact
    return await merge(session, keep=owner, other=contact, actor=actor)


async def note_email(
    session: AsyncSession, *, identity: Identity, email: str, name: str | None = None
) -> Contact:
    """A customer typed their email address (and maybe a name) into a chat: kept on the contact
    behind `identity`, unless another contact owns the address already.

    Unlike `claim_email` this never merges: the address is unverified, and merging on it would
    let anyone join a stranger's contact by typing their address. Replies still reach it.
    """
    contact = await resolve(session, identity=identity)
    if name and not contact.name:
        contact.name = name[:200]
    with suppress(Conflict):  # another contact's address: it stays there
        await add_identity(session, contact=contact, kind="email", value=email)
    await session.flush()
    return contact


async def _lock_both(session: AsyncSession, keep: Contact, other: Contact) -> None:
    # Two merges of one contact at once (two Slack messages enriched together): the second
    # waits here, finds `other` already gone and fails (its job retries and finds it done)
    # instead of merging a deleted contact a second time. SQLite writers are serial anyway.
    query = select(Contact.id).where(Contact.id.in_((keep.id, other.id))).with_for_update()
    if len(list(await session.scalars(query))) < 2:
        raise Conflict(f"contact {keep.id} or {other.id} was merged or deleted meanwhile")


def _summary(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "identities": sorted([i.kind, i.value] for i in contact.identities),
    }
