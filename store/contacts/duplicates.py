"""Suggested duplicates: other contacts that share an email address or a phone number with
this one, whether as an identity or as the contact's own email/phone field.

Identities are unique, so two contacts never hold the same one; a person known twice shows
up as one contact's identity matching another's field (a Slack profile's email, an address
typed into the chat that another contact owned), or as one number written two ways
("+1 (555) 000-1111" and "+15550001111"). Merging stays a person's decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.contacts.models import Contact, ContactIdentity
from store.contacts.service import get

PHONE_TAIL = 7  # digits compared in SQL before the full comparison here


@dataclass
class Duplicate:
    contact: Contact
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (kind, value) shared


def phone_digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _keys(contact: Contact) -> tuple[set[str], set[str]]:
    emails = {i.value.lower() for i in contact.identities if i.kind == "email"}
    phones = {phone_digits(i.value) for i in contact.identities if i.kind == "phone"}
    if contact.email:
        emails.add(contact.email.strip().lower())
    if contact.phone:
        phones.add(phone_digits(contact.phone))
    return emails, {p for p in phones if len(p) >= PHONE_TAIL}


def _same_phone(a: str, b: str) -> bool:
    """The same number with or without its country code (the shorter is the longer's end)."""
    short, long = sorted((a, b), key=len)
    return len(short) >= PHONE_TAIL and long.endswith(short)


async def _email_matches(session: AsyncSession, contact_id: int, emails: set[str]):
    if not emails:
        return []
    by_identity = select(ContactIdentity.contact_id, ContactIdentity.value).where(
        ContactIdentity.kind == "email", ContactIdentity.value.in_(emails)
    )
    by_field = select(Contact.id, func.lower(Contact.email)).where(
        func.lower(Contact.email).in_(emails)
    )
    rows = [*(await session.execute(by_identity)).all(), *(await session.execute(by_field)).all()]
    return [(other, "email", value) for other, value in rows if other != contact_id]


async def _phone_matches(session: AsyncSession, contact_id: int, phones: set[str]):
    if not phones:
        return []
    tails = [p[-PHONE_TAIL:] for p in phones]
    near_identity = select(ContactIdentity.contact_id, ContactIdentity.value).where(
        ContactIdentity.kind == "phone",
        or_(*(ContactIdentity.value.like(f"%{t[-4:]}") for t in tails)),
    )
    near_field = select(Contact.id, Contact.phone).where(
        or_(*(Contact.phone.like(f"%{t[-4:]}") for t in tails))
    )
    rows = [
        *(await session.execute(near_identity)).all(),
        *(await session.execute(near_field)).all(),
    ]
    found = []
    for other, value in rows:
        digits = phone_digits(value)
        if other != contact_id and any(_same_phone(digits, mine) for mine in phones):
            found.append((other, "phone", value))
    return found


async def suggest(session: AsyncSession, *, contact_id: int, limit: int = 20) -> list[Duplicate]:
    """Contacts that look like this one, most shared details first."""
    contact = await get(session, contact_id=contact_id)
    emails, phones = _keys(contact)
    matches = await _email_matches(session, contact.id, emails)
    matches += await _phone_matches(session, contact.id, phones)
    found: dict[int, Duplicate] = {}
    others = (
        {
            c.id: c
            for c in await session.scalars(
                select(Contact).where(Contact.id.in_({m[0] for m in matches}))
            )
        }
        if matches
        else {}
    )
    for other, kind, value in matches:
        duplicate = found.setdefault(other, Duplicate(others[other]))
        if (kind, value) not in duplicate.reasons:
            duplicate.reasons.append((kind, value))
    ranked = sorted(found.values(), key=lambda d: (-len(d.reasons), d.contact.id))
    return ranked[:limit]
