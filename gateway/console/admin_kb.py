"""Knowledge base admin: articles (list, write, publish, delete), import of uploaded files,
and the resolution examples waiting for approval.

Uploaded articles go through the same reader and import as `autocrm kb import`
(store/knowledge/sources.py, service.import_document); re-uploading a file name updates it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import JSONResponse

from agent_graph.retrieval import shared_embedder
from gateway.console.web import AdminUser, ReadSession, check_csrf, render
from gateway.deps import Session
from store.errors import Invalid
from store.knowledge import examples
from store.knowledge import service as kb
from store.knowledge.sources import SUFFIXES, read_document

router = APIRouter(prefix="/console/admin", include_in_schema=False)
MAX_UPLOAD = 2_000_000  # bytes per file: an article, not a manual


@router.get("/kb")
async def kb_page(request: Request, session: ReadSession, me: AdminUser):
    return render(
        request,
        "admin/kb.html",
        me=me,
        articles=await kb.list_articles(session, limit=200),
        pending=await examples.list_examples(session, status="pending", limit=200),
        suffixes=SUFFIXES,
    )


def _document(upload: UploadFile, raw: bytes):
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise Invalid(f"{upload.filename}: import {', '.join(SUFFIXES)} files")
    if len(raw) > MAX_UPLOAD:
        raise Invalid(f"{upload.filename}: larger than {MAX_UPLOAD // 1_000_000} MB")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.filename).name
        path.write_bytes(raw)
        return read_document(path)


@router.post("/kb/import")
async def import_articles(
    request: Request, session: Session, me: AdminUser, file: list[UploadFile]
):
    """Files posted by the page's script (multipart `file`, X-CSRF-Token header)."""
    check_csrf(request, request.headers.get("x-csrf-token"))
    actor = me.actor
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for upload in file:
        doc = _document(upload, await upload.read())
        outcome = await kb.import_document(
            session,
            source=f"upload:{Path(upload.filename).name}",
            title=doc.title,
            body=doc.body,
            actor=actor,
            embedder=shared_embedder(),
            status="draft",
        )
        counts[outcome] += 1
    return JSONResponse(counts)
