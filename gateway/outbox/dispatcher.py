"""The loop that moves the outbox: wakes on commit (or every interval), fans events out to
deliveries and in-process listeners (socket.io), and runs due deliveries in-process or via RQ.

Under load commits come hundreds a second, and each pass is a write transaction of its own: a
pass takes what came in during the last `GATHER` seconds, not one pass per commit. What is
urgent on a socket does not wait for it (gateway/realtime_live.py).

While Redis is down, deliveries run here instead of waiting for it: the gateway runs every job
in the embedded setup anyway, and a customer's answer should not wait on the queue's health.
Once Redis answers again, enqueueing resumes, and jobs leased but never started are enqueued
again (a restarted Redis may have lost them; only one copy of a job can start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from gateway.outbox import run, table
from gateway.outbox.worker import run_delivery_job
from store.jobs import JobContext
from store.outbox import deliveries

log = logging.getLogger(__name__)
GATHER = 0.05  # seconds between passes at most, while commits keep waking it
PROBE_EVERY = 0.5  # seconds between pings while Redis is down
JOB_TIMEOUT = 600  # RQ's limit on a job; the job stops itself first (run.RUN_TIMEOUT)


class Dispatcher:
    def __init__(self, ctx: JobContext, *, rq_queue=None, concurrency: int = 8):
        self.ctx = ctx
        self.rq_queue = rq_queue  # None: run deliveries in this process
        if rq_queue is not None:
            # Fail fast (one retry, for a stale pooled connection): when Redis is down the
            # delivery runs here, rather than after redis-py's seconds of retries.
            rq_queue.connection.set_retry(Retry(NoBackoff(), 1))
        self._redis_lost_at: float | None = None  # loop time enqueueing failed; None: it works
        self._next_probe = 0.0
        self.listeners: list[deliveries.EventListener] = []
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task] = set()
        self._outcomes: list[deliveries.Outcome] = []
        self._task: asyncio.Task | None = None

    def wake(self) -> None:
        self._wake.set()

    @property
    def redis_lost(self) -> bool:
        """Enqueueing failed and Redis has not answered since: deliveries run here."""
        return self._redis_lost_at is not None

    def start(self) -> None:
        self.ctx.db.on_commit.append(self.wake)
        self._task = asyncio.create_task(self._loop(), name="outbox-dispatcher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.gather(*self._running, return_exceptions=True)
        if self._outcomes:  # finished runs not yet recorded (else they run again after a lease)
            with contextlib.suppress(Exception):
                async with self.ctx.db.uow() as session:
                    await deliveries.record_in(session, self.ctx.settings, self._outcomes)
        http = self.ctx.extras.pop("http", None)  # the webhook client, made on first use
        if http is not None:
            await http.aclose()

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            try:
                busy = await self.tick()
            except Exception:
                log.exception("dispatcher tick failed; trying again")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.ctx.settings.dispatch_interval)
                await asyncio.sleep(began + GATHER - loop.time())  # no wait when it is past
            self._wake.clear()

    async def tick(self) -> bool:
        """One pass; True when it found work (so the loop goes again at once)."""
        # One transaction: outcomes of finished runs are recorded, new events fan out into
        # deliveries, which are leased at once with any others that are due (one turn at
        # SQLite's write lock per pass, not one or two per delivery).
        if self._redis_lost_at is not None:
            await self._probe_redis()
        outcomes, self._outcomes = self._outcomes, []
        try:
            async with self.ctx.db.uow(inline=True) as session:
                dead = await deliveries.record_in(session, self.ctx.settings, outcomes)
                events = await deliveries.fan_out(session, table)
                due = await deliveries.claim_due(session)
        except BaseException:
            self._outcomes[:0] = outcomes  # recorded next pass (their leases keep them ours)
            raise
        try:
            await run.tell_gave_up(self.ctx, dead)
        except Exception:
            log.exception("a job's give-up hook failed")
        for event in events:
            for listener in self.listeners:
                try:
                    await listener(event)
                except Exception:
                    log.exception("event listener failed for event %s", event["id"])
        await self._start_all(due)
        # Go again at once only when a limit left work behind; a finished run wakes the loop.
        return len(events) == deliveries.FAN_OUT_LIMIT or len(due) == deliveries.CLAIM_LIMIT

    async def _start_all(self, due: list[deliveries.Leased]) -> None:
        """Enqueue the pass's deliveries for RQ in one pipeline (one thread hop and one Redis
        round trip per pass, not per delivery), or run them here."""
        if due and self.rq_queue is not None and self._redis_lost_at is None:
            try:
                await self._enqueue(*due)
                return
            except RedisError as exc:
                self._redis_lost_at = asyncio.get_running_loop().time()
                self._next_probe = self._redis_lost_at + PROBE_EVERY
                log.warning("cannot enqueue (%s): running deliveries here until Redis is back", exc)
        for leased in due:  # an enqueue that failed may have reached the queue: leases decide
            await self._start(leased)

    async def _start(self, leased: deliveries.Leased) -> None:
        await self._slots.acquire()
        runner = self._run if self.rq_queue is None else self._run_alone
        task = asyncio.create_task(runner(leased))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _enqueue(self, *leased: deliveries.Leased) -> None:
        queue = self.rq_queue
        jobs = [
            queue.prepare_data(run_delivery_job, (one.id, one.lease), timeout=JOB_TIMEOUT)
            for one in leased
        ]
        await asyncio.to_thread(queue.enqueue_many, jobs)

    async def _run_alone(self, leased: deliveries.Leased) -> None:
        """Run a delivery meant for RQ as a worker would: it may have reached the queue after
        all, and the lease token lets only one of the two start it."""
        try:
            await run.run_delivery(self.ctx, leased.id, leased.lease)
        except Exception:
            log.exception("delivery %s failed to run; it runs again when its lease ends", leased.id)
        finally:
            self._slots.release()

    async def _probe_redis(self) -> None:
        """While enqueueing fails: is Redis back? Then enqueue again what never started."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_probe:
            return
        self._next_probe = loop.time() + PROBE_EVERY
        try:
            await asyncio.to_thread(self.rq_queue.connection.ping)
            async with self.ctx.db.read() as session:
                waiting = await deliveries.unstarted(session)
            if waiting:
                await self._enqueue(*waiting)
        except RedisError:
            return
        log.warning(
            "Redis answers again after %.1f s; enqueueing resumes (%d never-started jobs "
            "enqueued again)",
            loop.time() - self._redis_lost_at,
            len(waiting),
        )
        self._redis_lost_at = None

    async def _run(self, leased: deliveries.Leased) -> None:
        try:
            outcome = await run.execute(self.ctx, leased)
        finally:
            self._slots.release()
        self._outcomes.append(outcome)  # the next pass records it with the others
        self.wake()

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
                if not await deliveries.outstanding(session):
                    return
            await asyncio.sleep(0.01)
