"""A contact's suggested duplicates (contacts:read), and the data rights of the person behind
it (admin): everything we hold, as JSON or a ZIP with the files; erasure."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from gateway.deps import Admin, ContactsRead, Session, get_database
from store import files
from store.contacts import duplicates
from store.contacts.schemas import ContactRead, DuplicateRead, ErasureRead, SharedDetail
from store.errors import Invalid
from store.privacy.erase import erase_contact
from store.privacy.export import Export, export_contact

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


@router.get("/{contact_id}/duplicates", response_model=list[DuplicateRead])
async def suggested_duplicates(
    contact_id: int,
    session: Session,
    who: ContactsRead,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    """Other contacts with the same email or phone (a merge is POST .../{id}/merge)."""
    found = await duplicates.suggest(session, contact_id=contact_id, limit=limit)
    return [
        DuplicateRead(
            contact=ContactRead.model_validate(d.contact),
            reasons=[SharedDetail(kind=k, value=v) for k, v in d.reasons],
        )
        for d in found
    ]


def _zip(export: Export) -> bytes:
    """data.json plus each attachment under attachments/ (names made safe in store/privacy)."""
    buffer = io.BytesIO()
    missing = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, digest in export.files:
            try:
                archive.writestr(path, files.read(digest))
            except FileNotFoundError:
                missing.append(path)
        data = export.data | {"missing_files": missing}
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
    return buffer.getvalue()


@router.get("/{contact_id}/export")
async def export(
    request: Request,
    contact_id: int,
    who: Admin,
    format: Literal["json", "zip"] = "json",
):
    """All of one person's data: JSON, or (format=zip) data.json with their attachments."""
    async with get_database(request).read() as session:
        found = await export_contact(session, contact_id=contact_id)
    name = f"contact-{contact_id}-export"
    if format == "json":
        headers = {"content-disposition": f'attachment; filename="{name}.json"'}
        return JSONResponse(found.data, headers=headers)
    headers = {"content-disposition": f'attachment; filename="{name}.zip"'}
    return Response(_zip(found), media_type="application/zip", headers=headers)


class EraseRequest(BaseModel):
    confirm: bool = False  # true: nothing about this person can be brought back


@router.post("/{contact_id}/erase", response_model=ErasureRead)
async def erase(contact_id: int, data: EraseRequest, session: Session, who: Admin):
    """Anonymise the contact and redact their tickets' content; the tickets stay for metrics.
    Idempotent: calling it again reports already_erased and changes nothing."""
    if not data.confirm:
        raise Invalid('erasure cannot be undone: send {"confirm": true}')
    done = await erase_contact(session, contact_id=contact_id, actor=who.actor)
    return ErasureRead(**done.__dict__)
