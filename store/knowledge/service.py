"""Knowledge articles: create, update, delete (audited), chunk and embed what is published."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.db import utcnow
from store.knowledge.chunking import chunk_markdown
from store.knowledge.models import Article, Chunk, Revision
from store.knowledge.schemas import ArticleCreate, ArticleUpdate
from store.outbox.service import emit
from store.rows import get_or_raise

if TYPE_CHECKING:
    from store.knowledge.embedder import Embedder

AUDITED = ("title", "status", "locale", "tags", "source", "body")
# Fields whose change alters the chunks (tags do not: they are not searched).
INDEXED = ("title", "body", "locale", "status")


def digest(*parts: object) -> str:
    raw = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


async def touch(session: AsyncSession, name: str) -> None:
    """Replace the change token of `name` ("chunks" or "examples") in this transaction."""
    token, now = secrets.token_hex(16), utcnow()
    updated = await session.execute(
        sql_update(Revision).where(Revision.name == name).values(token=token, updated_at=now)
    )
    if updated.rowcount == 0:
        session.add(Revision(name=name, token=token, updated_at=now))
        await session.flush()


def snapshot(article: Article) -> dict[str, Any]:
    out = {key: getattr(article, key) for key in AUDITED}
    out["body"] = article.body[:2000]
    return out


async def get(session: AsyncSession, *, article_id: int) -> Article:
    return await get_or_raise(session, Article, article_id, "article")


async def get_by_source(session: AsyncSession, *, source: str) -> Article | None:
    return await session.scalar(select(Article).where(Article.source == source))


async def list_articles(
    session: AsyncSession,
    *,
    status: str | None = None,
    locale: str | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[Article]:
    query = select(Article).where(Article.id > after_id)
    if status:
        query = query.where(Article.status == status)
    if locale:
        query = query.where(Article.locale == locale)
    return list(await session.scalars(query.order_by(Article.id).limit(limit)))


async def create(
    session: AsyncSession,
    *,
    data: ArticleCreate,
    actor: Actor,
    embedder: Embedder,
    source: str | None = None,
) -> Article:
    await touch(session, "chunks")
    article = Article(**data.model_dump(), source=source)
    session.add(article)
    await session.flush()
    await _reindex(session, article, embedder)
    emit(session, "kb.article.created", actor=actor, after=snapshot(article) | {"id": article.id})
    return article


async def update(
    session: AsyncSession,
    *,
    article_id: int,
    changes: ArticleUpdate,
    actor: Actor,
    embedder: Embedder,
    source: str | None = None,
) -> Article:
    """Apply changes, re-chunk when searchable content changed, and audit only the diff."""
    await touch(session, "chunks")
    article = await get(session, article_id=article_id)
    before = snapshot(article)
    fields = changes.model_dump(exclude_unset=True, exclude_none=True)
    if source is not None:
        fields["source"] = source
    reindex = any(k in fields and fields[k] != getattr(article, k) for k in INDEXED)
    for key, value in fields.items():
        setattr(article, key, value)
    after = snapshot(article)
    diff = [k for k in AUDITED if before[k] != after[k]]
    if diff:
        article.updated_at = utcnow()
        emit(
            session,
            "kb.article.updated",
            actor=actor,
            before={k: before[k] for k in diff},
            after={k: after[k] for k in diff},
            payload={"article_id": article.id},
        )
    if reindex:
        await _reindex(session, article, embedder)
    await session.flush()
    return article


async def delete(session: AsyncSession, *, article_id: int, actor: Actor) -> None:
    await touch(session, "chunks")
    article = await get(session, article_id=article_id)
    emit(
        session,
        "kb.article.deleted",
        actor=actor,
        before=snapshot(article),
        payload={"article_id": article.id},
    )
    await session.execute(sql_delete(Chunk).where(Chunk.article_id == article.id))
    await session.delete(article)
    await session.flush()


async def list_chunks(session: AsyncSession, *, article_id: int) -> list[Chunk]:
    query = select(Chunk).where(Chunk.article_id == article_id).order_by(Chunk.position)
    return list(await session.scalars(query))


async def _reindex(session: AsyncSession, article: Article, embedder: Embedder) -> None:
    """Replace the article's chunks (none while it is a draft).

    Vectors of sections whose heading and text did not change are reused, so editing one
    section of a long article embeds one passage, not all of them.
    """
    old = await list_chunks(session, article_id=article.id)
    known = {
        (c.heading, c.text): c.embedding for c in old if c.embedding_model == embedder.model_id
    }
    await session.execute(sql_delete(Chunk).where(Chunk.article_id == article.id))
    if article.status != "published":
        return
    passages = chunk_markdown(article.title, article.body)
    todo = [p for p in passages if (p.heading, p.text) not in known]
    if todo:
        vectors = await asyncio.to_thread(embedder.embed, [embed_text(p) for p in todo])
        for passage, vec in zip(todo, vectors, strict=True):
            known[(passage.heading, passage.text)] = np.asarray(vec, np.float32).tobytes()
    for position, p in enumerate(passages):
        session.add(
            Chunk(
                article_id=article.id,
                position=position,
                title=article.title,
                heading=p.heading,
                text=p.text,
                locale=article.locale,
                embedding=known[(p.heading, p.text)],
                embedding_model=embedder.model_id,
                digest=digest(article.id, article.title, article.locale, p.heading, p.text),
            )
        )
    await session.flush()


def embed_text(passage) -> str:
    """What the model reads for a passage: where it sits (title and headings), then its text."""
    return f"{passage.heading}\n{passage.text}"


async def import_document(
    session: AsyncSession,
    *,
    source: str,
    title: str,
    body: str,
    actor: Actor,
    embedder: Embedder,
    locale: str = "en",
    status: str = "published",
    tags: list[str] | None = None,
) -> str:
    """Create the article read from `source`, or update its title and body when that source
    was imported before (status and tags stay as an admin may have set them).
    Returns "created", "updated" or "unchanged"."""
    existing = await get_by_source(session, source=source)
    if existing is None:
        data = ArticleCreate(title=title, body=body, locale=locale, status=status, tags=tags or [])
        await create(session, data=data, actor=actor, embedder=embedder, source=source)
        return "created"
    if (existing.title, existing.body) == (title, body):
        return "unchanged"
    changes = ArticleUpdate(title=title, body=body)
    await update(session, article_id=existing.id, changes=changes, actor=actor, embedder=embedder)
    return "updated"
