"""Contacts API: one person with several channel identities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gateway.deps import ContactsRead, ContactsWrite, Session
from store.contacts import service as contacts
from store.contacts.schemas import ContactCreate, ContactMerge, ContactRead, ContactUpdate
from store.tickets import contact_merge

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


@router.post("", status_code=201, response_model=ContactRead)
async def create_contact(data: ContactCreate, session: Session, who: ContactsWrite):
    return await contacts.create(
        session,
        name=data.name,
        vip=data.vip,
        attributes=data.attributes,
        identities=[(i.kind, i.value) for i in data.identities],
    )


@router.get("", response_model=list[ContactRead])
async def list_contacts(
    session: Session,
    who: ContactsRead,
    q: Annotated[str | None, Query(max_length=200)] = None,
    after_id: int = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
):
    return await contacts.list_contacts(session, q=q, after_id=after_id, limit=limit)


@router.get("/{contact_id}", response_model=ContactRead)
async def get_contact(contact_id: int, session: Session, who: ContactsRead):
    return await contacts.get(session, contact_id=contact_id)


@router.patch("/{contact_id}", response_model=ContactRead)
async def update_contact(
    contact_id: int, data: ContactUpdate, session: Session, who: ContactsWrite
):
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if data.identities is not None:
        changes["identities"] = [(i.kind, i.value) for i in data.identities]
    return await contacts.update(session, contact_id=contact_id, changes=changes)


@router.post("/{contact_id}/merge", response_model=ContactRead)
async def merge_contact(contact_id: int, data: ContactMerge, session: Session, who: ContactsWrite):
    keep = await contacts.get(session, contact_id=contact_id)
    other = await contacts.get(session, contact_id=data.other_id)
    return await contact_merge.merge(session, keep=keep, other=other, actor=who.actor)
