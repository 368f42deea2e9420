"""Knowledge base API: articles (kb:read / kb:write), resolution examples (approval needs
kb:write, which admins hold), and the public search customers use without signing in."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from agent_graph.retrieval import shared_embedder
from gateway.deps import Principal, Session, get_database, require
from store.errors import Invalid
from store.knowledge import examples
from store.knowledge import service as kb
from store.knowledge.schemas import (
    ArticleCreate,
    ArticleRead,
    ArticleUpdate,
    ExampleCreate,
    ExampleRead,
    language_of,
)
from store.knowledge.search import search_chunks, snippet

router = APIRouter(prefix="/api/v1", tags=["knowledge base"])
KbRead = Annotated[Principal, require("kb:read")]
KbWrite = Annotated[Principal, require("kb:write")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/kb/articles", response_model=list[ArticleRead])
async def list_articles(
    session: Session,
    who: KbRead,
    status: Literal["published", "draft"] | None = None,
    locale: Annotated[str | None, Query(max_length=20)] = None,
    after_id: int = 0,
    limit: Limit = 50,
):
    return await kb.list_articles(
        session, status=status, locale=locale, after_id=after_id, limit=limit
    )


@router.post("/kb/articles", status_code=201, response_model=ArticleRead)
async def create_article(data: ArticleCreate, session: Session, who: KbWrite):
    return await kb.create(session, data=data, actor=who.actor, embedder=shared_embedder())


@router.get("/kb/articles/{article_id}", response_model=ArticleRead)
async def get_article(article_id: int, session: Session, who: KbRead):
    return await kb.get(session, article_id=article_id)


@router.patch("/kb/articles/{article_id}", response_model=ArticleRead)
async def update_article(article_id: int, data: ArticleUpdate, session: Session, who: KbWrite):
    return await kb.update(
        session, article_id=article_id, changes=data, actor=who.actor, embedder=shared_embedder()
    )


@router.delete("/kb/articles/{article_id}", status_code=204)
async def delete_article(article_id: int, session: Session, who: KbWrite):
    await kb.delete(session, article_id=article_id, actor=who.actor)


@router.get("/kb/examples", response_model=list[ExampleRead])
async def list_examples(
    session: Session,
    who: KbRead,
    status: Literal["pending", "approved", "rejected"] | None = None,
    label: Annotated[str | None, Query(max_length=200)] = None,
    after_id: int = 0,
    limit: Limit = 100,
):
    return await examples.list_examples(
        session, status=status, label=label, after_id=after_id, limit=limit
    )


@router.post("/kb/examples", status_code=201, response_model=ExampleRead)
async def create_example(data: ExampleCreate, session: Session, who: KbWrite):
    return await examples.create(
        session, **data.model_dump(), actor=who.actor, embedder=shared_embedder()
    )


class ImportRead(BaseModel):
    created: int
    skipped: int


async def _jsonl_lines(request: Request) -> list[str]:
    """The JSONL text: the raw body, or the `file` part of a multipart form."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("send the JSONL as a multipart part named 'file'")
        raw = await upload.read()
    else:
        raw = await request.body()
    try:
        return raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise Invalid("the JSONL must be UTF-8") from None


def _parse_jsonl(lines: list[str]) -> list[dict]:
    rows = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise Invalid(f"line {n} is not JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise Invalid(f"line {n} must be an object with 'text' and 'label'")
        rows.append(row)
    if not rows:
        raise Invalid('no examples: send JSONL lines {"text": ..., "label": ..., "answer": ...}')
    return rows


@router.post("/kb/examples/import", response_model=ImportRead)
async def import_examples(
    request: Request,
    session: Session,
    who: KbWrite,
    status: Literal["pending", "approved"] = "approved",
):
    """JSONL of past resolutions (body, or multipart `file`); approved unless ?status=pending."""
    rows = _parse_jsonl(await _jsonl_lines(request))
    result = await examples.import_rows(
        session, rows=rows, actor=who.actor, status=status, embedder=shared_embedder()
    )
    return ImportRead(created=result.created, skipped=result.skipped)


@router.post("/kb/examples/{example_id}/approve", response_model=ExampleRead)
async def approve_example(example_id: int, session: Session, who: KbWrite):
    return await examples.set_status(
        session, example_id=example_id, status="approved", actor=who.actor
    )


@router.post("/kb/examples/{example_id}/reject", response_model=ExampleRead)
async def reject_example(example_id: int, session: Session, who: KbWrite):
    return await examples.set_status(
        session, example_id=example_id, status="rejected", actor=who.actor
    )


@router.delete("/kb/examples/{example_id}", status_code=204)
async def delete_example(example_id: int, session: Session, who: KbWrite):
    await examples.delete(session, example_id=example_id, actor=who.actor)


class PublicHit(BaseModel):
    article_id: int
    title: str
    snippet: str
    locale: str


@router.get("/public/kb/search", response_model=list[PublicHit], tags=["public"])
async def public_search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=300)],
    locale: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
):
    """Published articles matching the words, for customers (no sign-in). Full-text only:
    no model runs for an anonymous caller. The caller's language first, others after."""
    async with get_database(request).read() as session:
        hits = await search_chunks(session, q, limit=limit * 5)
    lang = language_of(locale) if locale else None
    hits.sort(key=lambda h: (lang is not None and language_of(h.locale) != lang, h.rank))
    found: dict[int, PublicHit] = {}
    for hit in hits:
        if hit.article_id not in found:
            text = snippet(hit.text, q)
            found[hit.article_id] = PublicHit(
                article_id=hit.article_id, title=hit.title, snippet=text, locale=hit.locale
            )
    return list(found.values())[:limit]
