"""Resolution examples: imported from past tickets (approved) or captured when an agent
resolves an escalated ticket (pending an admin's approval). Approved ones teach the bot."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import SYSTEM, Actor
from store.contacts.models import Contact
from store.db import utcnow
from store.errors import Invalid
from store.knowledge import scrub as scrubber
from store.knowledge.models import EXAMPLE_STATUSES, Article, ResolutionExample
from store.knowledge.service import digest, touch
from store.outbox.service import emit
from store.rows import get_or_raise
from store.tickets.models import Message, Ticket

if TYPE_CHECKING:
    from store.knowledge.embedder import Embedder

FIELDS = ("text", "label", "answer", "article_id", "status")


def example_digest(row: ResolutionExample) -> str:
    return digest(row.text, row.label, row.answer, row.article_id)


def _snapshot(row: ResolutionExample) -> dict[str, Any]:
    return {k: getattr(row, k) for k in FIELDS} | {"source": row.source, "ticket_id": row.ticket_id}


async def get(session: AsyncSession, *, example_id: int) -> ResolutionExample:
    return await get_or_raise(session, ResolutionExample, example_id, "example")


async def list_examples(
    session: AsyncSession,
    *,
    status: str | None = None,
    label: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[ResolutionExample]:
    query = select(ResolutionExample).where(ResolutionExample.id > after_id)
    if status:
        query = query.where(ResolutionExample.status == status)
    if label:
        query = query.where(ResolutionExample.label == label)
    return list(await session.scalars(query.order_by(ResolutionExample.id).limit(limit)))


async def _check_article(session: AsyncSession, article_id: int | None) -> None:
    if article_id is not None and await session.get(Article, article_id) is None:
        raise Invalid(f"article {article_id} does not exist")


async def _embed(rows: list[ResolutionExample], embedder: Embedder | None) -> None:
    """Store vectors with the rows, so every process's index loads them instead of
    re-computing (rows without one are embedded by the index when it loads them)."""
    if embedder is None or not rows:
        return
    vectors = await asyncio.to_thread(embedder.embed, [r.text for r in rows])
    for row, vec in zip(rows, vectors, strict=True):
        row.embedding = np.asarray(vec, np.float32).tobytes()
        row.embedding_model = embedder.model_id


async def create(
    session: AsyncSession,
    *,
    text: str,
    label: str,
    actor: Actor,
    answer: str = "",
    article_id: int | None = None,
    status: str = "pending",
    source: str = "import",
    ticket_id: int | None = None,
    embedder: Embedder | None = None,
    redactions: list[dict] | None = None,
) -> ResolutionExample:
    if status not in EXAMPLE_STATUSES:
        raise Invalid(f"status must be one of {', '.join(EXAMPLE_STATUSES)}")
    await touch(session, "examples")
    await _check_article(session, article_id)
    row = ResolutionExample(
        text=text.strip(),
        label=label.strip(),
        answer=answer,
        article_id=article_id,
        status=status,
        source=source,
        ticket_id=ticket_id,
        redactions=list(redactions or []),
    )
    row.digest = example_digest(row)
    await _embed([row], embedder)
    session.add(row)
    await session.flush()
    emit_created(session, row, actor)
    return row


def emit_created(session: AsyncSession, row: ResolutionExample, actor: Actor) -> None:
    emit(
        session,
        "kb.example.created",
        actor=actor,
        ticket_id=row.ticket_id,
        after=_snapshot(row) | {"id": row.id},
    )


async def set_status(
    session: AsyncSession, *, example_id: int, status: str, actor: Actor
) -> ResolutionExample:
    """Approve or reject (or send back to pending); audited as kb.example.<status>."""
    if status not in EXAMPLE_STATUSES:
        raise Invalid(f"status must be one of {', '.join(EXAMPLE_STATUSES)}")
    await touch(session, "examples")
    row = await get(session, example_id=example_id)
    if row.status == status:
        return row
    before = row.status
    if row.source == "ticket" and status != "pending":
        _settle(row, status, actor)
    row.status, row.updated_at = status, utcnow()
    await session.flush()
    emit(
        session,
        f"kb.example.{status}",
        actor=actor,
        ticket_id=row.ticket_id,
        before={"status": before},
        after={"status": status},
        payload={"example_id": row.id, "label": row.label},
    )
    return row


async def delete(session: AsyncSession, *, example_id: int, actor: Actor) -> None:
    await touch(session, "examples")
    row = await get(session, example_id=example_id)
    emit(
        session,
        "kb.example.deleted",
        actor=actor,
        ticket_id=row.ticket_id,
        before=_snapshot(row),
        payload={"example_id": row.id},
    )
    await session.delete(row)
    await session.flush()


@dataclass
class ImportResult:
    created: int = 0
    skipped: int = 0  # the same text and label already stored


async def import_rows(
    session: AsyncSession,
    *,
    rows: Iterable[dict],
    actor: Actor,
    status: str = "approved",
    embedder: Embedder | None = None,
    batch: int = 256,
) -> ImportResult:
    """Bulk-add {"text", "label", "answer"?, "article_id"?} rows; a row whose text and label
    are stored already is skipped, so importing the same file twice adds nothing."""
    await touch(session, "examples")
    have = set(
        (await session.execute(select(ResolutionExample.text, ResolutionExample.label))).all()
    )
    result, pending = ImportResult(), []
    for n, raw in enumerate(rows, start=1):
        text, label = str(raw.get("text", "")).strip(), str(raw.get("label", "")).strip()
        if not text or not label:
            raise Invalid(f"row {n}: needs non-empty 'text' and 'label'")
        if (text, label) in have:
            result.skipped += 1
            continue
        have.add((text, label))
        row = ResolutionExample(
            text=text,
            label=label,
            answer=str(raw.get("answer") or ""),
            article_id=raw.get("article_id"),
            status=status,
            source="import",
        )
        row.digest = example_digest(row)
        pending.append(row)
        if len(pending) >= batch:
            result.created += await _flush_batch(session, pending, embedder)
    result.created += await _flush_batch(session, pending, embedder)
    if result.created:
        emit(
            session, "kb.examples.imported", actor=actor, payload=vars(result) | {"status": status}
        )
    return result


async def _flush_batch(session, pending: list[ResolutionExample], embedder) -> int:
    await _embed(pending, embedder)
    session.add_all(pending)
    await session.flush()
    count = len(pending)
    pending.clear()
    return count


async def _question_of(session: AsyncSession, ticket: Ticket) -> str:
    """The customer's opening question: the first inbound message with text."""
    query = (
        select(Message.text)
        .where(Message.ticket_id == ticket.id, Message.direction == "in", Message.text != "")
        .order_by(Message.id)
        .limit(1)
    )
    return (await session.scalar(query)) or ticket.subject


async def has_decided_example(session: AsyncSession, *, ticket_id: int) -> bool:
    """Did an admin already approve or reject an example captured from this ticket? (A
    pending one is still open to revision: capture_example updates it.)"""
    query = select(ResolutionExample.id).where(
        ResolutionExample.ticket_id == ticket_id,
        ResolutionExample.source == "ticket",
        ResolutionExample.status != "pending",
    )
    return (await session.scalar(query.limit(1))) is not None


async def _names_of(session: AsyncSession, ticket: Ticket) -> list[str]:
    contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    return [contact.name] if contact is not None and contact.name else []


def _redactions(field: str, found: scrubber.Scrubbed) -> list[dict]:
    return [
        {"field": field, "kind": r.kind, "placeholder": r.placeholder, "original": r.original}
        | {"start": r.start, "end": r.end}
        for r in found.spans
    ]


async def capture_example(
    session: AsyncSession,
    ticket: Ticket,
    answer_text: str,
    *,
    actor: Actor = SYSTEM,
    label: str | None = None,
    question: str | None = None,
    article_id: int | None = None,
) -> ResolutionExample:
    """Keep the question of a resolved escalated ticket and the human's answer as a DRAFT,
    pending review: the question generalised, the customer's specifics in both replaced by
    placeholders (the originals kept beside it for the reviewer only). Calling it again for
    the same ticket updates that pending draft."""
    question = (question or await _question_of(session, ticket)).strip()
    if not question or not answer_text.strip():
        raise Invalid("a resolution example needs the customer's question and the answer")
    names = await _names_of(session, ticket)
    asked = scrubber.generalise_question(question, names=names)
    answered = scrubber.scrub(answer_text.strip(), names=names)
    redactions = _redactions("text", asked) + _redactions("answer", answered)
    label = (label or f"ticket-{ticket.id}").strip()[:200]
    existing = await session.scalar(
        select(ResolutionExample).where(
            ResolutionExample.ticket_id == ticket.id,
            ResolutionExample.source == "ticket",
            ResolutionExample.status == "pending",
        )
    )
    if existing is None:
        return await create(
            session,
            text=asked.text or question,
            label=label,
            answer=answered.text,
            article_id=article_id,
            source="ticket",
            ticket_id=ticket.id,
            actor=actor,
            redactions=redactions,
        )
    existing.redactions = redactions
    return await _revise(session, existing, asked.text, label, answered.text, article_id, actor)


def _settle(row: ResolutionExample, status: str, actor: Actor) -> None:
    """Approving a learned draft keeps only what any customer may read: the answer as the
    next customer would get it (placeholders filled or their sentences dropped), refused
    when nothing is left or specifics remain in the question. Either decision wipes the
    originals the scrubber kept for the reviewer."""
    if status == "approved":
        answer = scrubber.personalise(row.answer)
        if not answer:
            raise Invalid(
                "nothing of the answer is left once customer specifics are removed: "
                "write it in general terms, then approve"
            )
        left = [f"{k} {row.text[s:e]!r}" for s, e, k in scrubber.detect(row.text)]
        if left:
            raise Invalid(
                "the question still holds customer specifics ("
                + ", ".join(left)
                + "): replace them with placeholders such as {order_number}"
            )
        row.answer = answer
        row.digest = example_digest(row)
        row.embedding = row.embedding_model = None
    row.redactions = [{k: v for k, v in r.items() if k != "original"} for r in row.redactions or []]
    row.reviewed_by, row.reviewed_at = actor.name, utcnow()


async def review_draft(
    session: AsyncSession,
    *,
    example_id: int,
    action: str,
    actor: Actor,
    text: str | None = None,
    answer: str | None = None,
    label: str | None = None,
) -> ResolutionExample:
    """The review queue's verbs on a pending example: edit (stays pending), approve (with
    any edits; only then does it teach the bot), reject."""
    row = await get(session, example_id=example_id)
    if row.status != "pending":
        raise Invalid(
            f"example {example_id} is {row.status} already; only pending ones are reviewed"
        )
    if text is not None or answer is not None or label is not None:
        await _revise(
            session,
            row,
            (text if text is not None else row.text).strip(),
            (label if label is not None else row.label).strip()[:200],
            answer if answer is not None else row.answer,
            row.article_id,
            actor,
        )
    if action == "edit":
        return row
    if action not in ("approve", "reject"):
        raise Invalid("action must be approve, edit or reject")
    return await set_status(
        session,
        example_id=example_id,
        status="approved" if action == "approve" else "rejected",
        actor=actor,
    )


async def _revise(session, row, question, label, answer, article_id, actor) -> ResolutionExample:
    await touch(session, "examples")
    await _check_article(session, article_id)
    before = _snapshot(row)
    row.text, row.label, row.answer, row.article_id = question, label, answer, article_id
    row.digest, row.updated_at = example_digest(row), utcnow()
    row.embedding = row.embedding_model = None
    await session.flush()
    after = _snapshot(row)
    diff = [k for k in after if before[k] != after[k]]
    emit(
        session,
        "kb.example.updated",
        actor=actor,
        ticket_id=row.ticket_id,
        before={k: before[k] for k in diff},
        after={k: after[k] for k in diff},
        payload={"example_id": row.id},
    )
    return row
