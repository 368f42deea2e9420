"""One person known twice: merge two contacts, their identities and tickets (here, not in
store/contacts, because it moves tickets and tickets already depend on contacts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy import update as update_rows
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.contacts.models import Contact
from store.contacts.service import add_identity, get_by_identity
from store.errors import Conflict, Invalid
from store.outbox.service import emit
from store.tickets.models import Ticket


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
