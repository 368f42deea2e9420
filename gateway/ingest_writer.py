"""Group commit for inbound messages: one writer task, many messages per transaction.

Every channel hands its InboundMessage to `submit`, which resolves once the message is
committed (accept = durable). Serialising ingest in one task also removes races between two
first messages of the same new contact. When a message fails, the batch is redone with a
savepoint per message, so only that one fails; a retry absorbs a race with another process
(unique constraints).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from channels.base import InboundMessage
from store.db import Database
from store.tickets.ingest import IngestResult, ingest
from store.tickets.models import Message

log = logging.getLogger(__name__)
MAX_BATCH = 256


@dataclass(frozen=True)
class Ingested:
    ticket_id: int
    ticket_number: int
    message_id: int
    duplicate: bool
    created_ticket: bool
    event_id: int  # the message.received event (the widget's sequence number)
    message: Message  # the committed row, detached: read it, do not change it


def _outcome(r: IngestResult) -> Ingested:
    return Ingested(
        r.ticket.id,
        r.ticket.number,
        r.message.id,
        r.duplicate,
        r.created_ticket,
        r.event.id,
        r.message,
    )


async def _ingest_isolated(session, inbound: InboundMessage) -> Ingested:
    """One message inside a savepoint; a unique-key race with another process is retried."""
    for attempt in (1, 2):
        try:
            async with session.begin_nested():
                r = await ingest(session, inbound=inbound)
            return _outcome(r)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def write_one(db: Database, inbound: InboundMessage) -> Ingested:
    """Ingest in its own transaction: for jobs and the CLI, where no writer task runs."""
    async with db.uow() as session:
        return await _ingest_isolated(session, inbound)


class IngestWriter:
    def __init__(self, db: Database):
        self.db = db
        self._queue: asyncio.Queue[tuple[InboundMessage, asyncio.Future]] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="ingest-writer")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def submit(self, inbound: InboundMessage) -> Ingested:
        if self._task is None or self._task.done():
            return await write_one(self.db, inbound)
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((inbound, future))
        return await future

    async def _loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write_batch(batch)
            except Exception as exc:  # the commit itself failed: every waiter learns it
                log.exception("ingest batch of %d failed", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)

    async def _write_batch(self, batch) -> None:
        try:
            results = await self._commit_batch(batch)
        except Exception:
            # Some message failed: redo the batch one savepoint per message, so only it fails.
            results = await self._commit_batch_isolated(batch)
        # Only after the commit: acknowledging earlier would break accept = durable.
        for (_, future), outcome in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _commit_batch(self, batch) -> list[Ingested]:
        """The common case: every message fine, no savepoints (two statements less each)."""
        async with self.db.uow() as session:
            stored = [await ingest(session, inbound=inbound) for inbound, _ in batch]
            await session.flush()  # event ids, for the outcomes
            return [_outcome(r) for r in stored]

    async def _commit_batch_isolated(self, batch) -> list[Ingested | Exception]:
        results: list[Ingested | Exception] = []
        async with self.db.uow() as session:
            for inbound, _ in batch:
                try:
                    results.append(await _ingest_isolated(session, inbound))
                except Exception as exc:
                    results.append(exc)
        return results
