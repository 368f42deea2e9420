"""The loop that moves the outbox: wakes on commit (or every interval), fans events out to
deliveries and in-process listeners (socket.io), and runs due deliveries in-process or via RQ."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from gateway import outbox
from gateway.jobs import JobContext

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, ctx: JobContext, *, rq_queue=None, concurrency: int = 8):
        self.ctx = ctx
        self.rq_queue = rq_queue  # None: run deliveries in this process
        self.listeners: list[outbox.EventListener] = []
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self.ctx.db.on_commit.append(self.wake)
        self._task = asyncio.create_task(self._loop(), name="outbox-dispatcher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.gather(*self._running, return_exceptions=True)
        http = self.ctx.extras.pop("http", None)  # the webhook client, made on first use
        if http is not None:
            await http.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                busy = await self.tick()
            except Exception:
                log.exception("dispatcher tick failed; trying again")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.ctx.settings.dispatch_interval)
            self._wake.clear()

    async def tick(self) -> bool:
        """One pass; True when it found work (so the loop goes again at once)."""
        # One transaction: new events fan out into deliveries, which are leased at once with
        # any others that are due (one turn at SQLite's write lock per pass, not two).
        async with self.ctx.db.uow() as session:
            events = await outbox.fan_out(session)
            due = await outbox.claim_due(session)
        for event in events:
            for listener in self.listeners:
                try:
                    await listener(event)
                except Exception:
                    log.exception("event listener failed for event %s", event["id"])
        for delivery_id in due:
            await self._start(delivery_id)
        return bool(events or due)

    async def _start(self, delivery_id: int) -> None:
        if self.rq_queue is not None:
            await asyncio.to_thread(
                self.rq_queue.enqueue,
                "gateway.worker.run_delivery_job",
                delivery_id,
                job_timeout=600,
            )
            return
        await self._slots.acquire()
        task = asyncio.create_task(self._run(delivery_id))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, delivery_id: int) -> None:
        try:
            await outbox.run_delivery(self.ctx, delivery_id)
        finally:
            self._slots.release()

    async def drain(self, timeout: float = 30.0) -> None:
        """Run until no event is undispatched and no delivery is due or running (tests, CLI).

        Deliveries waiting for a later retry are left alone; the background loop may be
        working at the same time, so completion is judged from the database.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            await self.tick()
            if self._running:
                await asyncio.gather(*list(self._running), return_exceptions=True)
            async with self.ctx.db.uow() as session:
                if not await outbox.outstanding(session):
                    return
            await asyncio.sleep(0.01)
