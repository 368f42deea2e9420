"""Contacts: find a person by any of their channel identities, create, update, list (merging
two moves their tickets too: store/tickets/contact_merge.py)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.contacts.models import Contact, ContactIdentity
from store.errors import Conflict
from store.messages import Identity
from store.rows import assign, get_or_raise


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
