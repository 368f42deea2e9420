"""What an in-memory index reads to follow the knowledge tables: the change tokens (one short
row per kind), the (id, digest) pairs that tell a stale copy from a current one, and the rows
it lacks, by id in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.knowledge.models import Chunk, ResolutionExample, Revision

BATCH = 1000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
# Every retrieval reads the tokens first: built once.
_TOKENS = select(Revision.name, Revision.token)
_APPROVED_DIGESTS = select(ResolutionExample.id, ResolutionExample.digest).where(
    ResolutionExample.status == "approved"
)


async def tokens(session: AsyncSession) -> dict[str, str]:
    """kind ("chunks", "examples") -> its current change token."""
    return dict((await session.execute(_TOKENS)).tuples().all())


async def chunk_digests(session: AsyncSession, *, embedding_model: str) -> dict[int, str]:
    """id -> digest of the chunks embedded by `embedding_model` (others are not comparable)."""
    query = select(Chunk.id, Chunk.digest).where(Chunk.embedding_model == embedding_model)
    return dict((await session.execute(query)).tuples().all())


async def chunk_batches(session: AsyncSession, *, ids: list[int]) -> AsyncIterator[list[Chunk]]:
    """The chunks with these ids, BATCH at a time (so an index can take each batch in)."""
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        yield list(await session.scalars(select(Chunk).where(Chunk.id.in_(part))))


async def approved_example_digests(session: AsyncSession) -> dict[int, str]:
    """id -> digest of every approved resolution example."""
    return dict((await session.execute(_APPROVED_DIGESTS)).tuples().all())


async def list_examples_by_ids(
    session: AsyncSession, *, ids: Iterable[int]
) -> list[ResolutionExample]:
    wanted, rows = list(ids), []
    for start in range(0, len(wanted), BATCH):
        part = wanted[start : start + BATCH]
        query = select(ResolutionExample).where(ResolutionExample.id.in_(part))
        rows += list(await session.scalars(query))
    return rows
