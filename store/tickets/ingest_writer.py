"""Group commit for inbound messages: one writer task, many messages per transaction.

Every channel hands its InboundMessage to `submit`, which resolves once the message is
committed (accept = durable). The writer takes whatever queued up while the last commit ran and
stores it as one batch (store.tickets.ingest.ingest_batch: a few statements for the whole
batch), so the busier it gets, the bigger and cheaper per message the batches. Serialising
ingest in one task also removes races between two first messages of the same new contact.
When a batch fails, it is redone with a savepoint per message, so only the bad one fails; a
retry absorbs a race with another process (unique constraints).

`listeners` hear of each committed batch at once, before anything else on the event loop runs
(the dispatcher's next pass included): the live push to sockets takes what was written from
here instead of reading it back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.messages import InboundMessage
from store.tickets.ingest import Ingested, ingest_batch

__all__ = ["Ingested", "IngestWriter", "write_one"]

log = logging.getLogger(__name__)
MAX_BATCH = 256
Committed = list[tuple[InboundMessage, Ingested]]


async def _ingest_isolated(session, inbound: InboundMessage) -> Ingested:
    """One message inside a savepoint; a unique-key race with another process is retried."""
    for attempt in (1, 2):
        try:
            async with session.begin_nested():
                [done] = await ingest_batch(session, [inbound])
            return done
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def write_one(db: Database, inbound: InboundMessage) -> Ingested:
    """Ingest in its own transaction: for jobs and the CLI, where no writer task runs."""
    async with db.uow(inline=True) as session:
        return await _ingest_isolated(session, inbound)


class IngestWriter:
    def __init__(self, db: Database):
        self.db = db
        self._queue: asyncio.Queue[tuple[InboundMessage, asyncio.Future]] = asyncio.Queue()
        self._task: asyncio.Task | None = None
        # Called with each batch's stored messages right after its commit; must not block.
        self.listeners: list[Callable[[Committed], None]] = []

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
        self._queue.put_nowait((inbound, future))
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
        committed: Committed = []
        for (inbound, future), outcome in zip(batch, results, strict=True):
            if not isinstance(outcome, Exception):
                committed.append((inbound, outcome))
            if future.done():
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        for listener in self.listeners:
            try:
                listener(committed)
            except Exception:
                log.exception("ingest listener failed")

    async def _commit_batch(self, batch) -> list[Ingested]:
        async with self.db.uow(inline=True) as session:
            return await ingest_batch(session, [inbound for inbound, _ in batch])

    async def _commit_batch_isolated(self, batch) -> list[Ingested | Exception]:
        results: list[Ingested | Exception] = []
        async with self.db.uow(inline=True) as session:
            for inbound, _ in batch:
                try:
                    results.append(await _ingest_isolated(session, inbound))
                except Exception as exc:
                    results.append(exc)
        return results
