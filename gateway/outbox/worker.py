"""RQ entry point: `autocrm worker` runs deliveries that the gateway's dispatcher enqueued.

The worker outlives Redis: RQ quits on a connection error it meets outside its wait for the
next job (while a job is being recorded, at start-up), so `run_worker` waits for Redis to
answer again, with backoff, and starts a fresh RQ worker in the same process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from datetime import datetime

from gateway.outbox.run import run_delivery
from gateway.settings import get_settings
from store.jobs import JobContext

log = logging.getLogger(__name__)
RECONNECT_FIRST = 0.25  # seconds before the first reconnect attempt, doubled up to ...
RECONNECT_MAX = 2.0  # ... this: how late a worker may notice that Redis is back
_loop: asyncio.AbstractEventLoop | None = None
_ctx: JobContext | None = None


def _context() -> tuple[asyncio.AbstractEventLoop, JobContext]:
    # One loop and one engine per worker process, reused across jobs (no per-job start-up).
    global _loop, _ctx
    if _ctx is None:
        from channels.registry import SPECS
        from store.db import Database

        settings = get_settings()
        _loop = asyncio.new_event_loop()
        limits = {name: spec.limits for name, spec in SPECS.items()}  # the agent's replies
        _ctx = JobContext(db=Database(settings.db_url), settings=settings, channel_limits=limits)
    return _loop, _ctx


def run_delivery_job(delivery_id: int, lease: datetime | None = None) -> None:
    loop, ctx = _context()
    try:
        loop.run_until_complete(run_delivery(ctx, delivery_id, lease))
    finally:
        _settle(loop)


def _settle(loop: asyncio.AbstractEventLoop) -> None:
    # A job interrupted inside the loop (RQ's timeout signal) leaves its tasks behind; they
    # must not go on running, or renewing their lease, during the next job.
    left = asyncio.all_tasks(loop)
    for task in left:
        task.cancel()
    if left:
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))


def _worker_class():
    from redis.exceptions import RedisError
    from rq import SimpleWorker

    class Worker(SimpleWorker):
        """SimpleWorker: no fork per job, so the loop, engine and loaded models stay warm."""

        stop_asked = False  # by a signal; RQ's own flag is set only when a job is running

        def request_stop(self, signum, frame) -> None:
            self.stop_asked = True
            super().request_stop(signum, frame)

        def teardown(self) -> None:
            # RQ's own teardown stops at the first Redis error and leaves its pubsub thread
            # running (and logging); with Redis gone, that thread is all there is to end.
            with contextlib.suppress(RedisError):
                self.register_death()
            try:
                self.unsubscribe()
            except (RedisError, OSError):
                self.pubsub_thread.stop()  # it sees the flag after its next failed read
                self.pubsub_thread.join(timeout=1)

        def _install_signal_handlers(self) -> None:
            if threading.current_thread() is threading.main_thread():  # tests run it in a thread
                super()._install_signal_handlers()

    Worker.max_connection_wait_time = RECONNECT_MAX  # RQ's own wait between dequeue retries
    return Worker


def run_worker(redis_url: str, burst: bool = False) -> None:
    """Take jobs until stopped (SIGINT/SIGTERM), or until the queue is empty with `burst`."""
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.exceptions import RedisError
    from redis.retry import Retry
    from rq import Queue
    from rq.exceptions import StopRequested

    # One quick retry (a pooled connection may be stale), then RQ or this loop takes over:
    # redis-py's default spends seconds retrying every command while Redis is down.
    connection = Redis.from_url(redis_url, retry=Retry(NoBackoff(), 1))
    worker_class, delay = _worker_class(), RECONNECT_FIRST
    while True:
        worker, began = None, time.monotonic()
        try:
            worker = worker_class([Queue("autocrm", connection=connection)], connection=connection)
            worker.work(burst=burst, with_scheduler=False)
            if burst:
                return
            lost = "RQ quit on an error it logged"
        except RedisError as exc:
            lost = str(exc)
        if worker is not None and worker.stop_asked:
            return
        # A worker that quits again at once backs off further; one that ran a while, not.
        delay = RECONNECT_FIRST if time.monotonic() - began > 30 else min(delay * 2, RECONNECT_MAX)
        try:
            _wait_for_redis(connection, lost, delay)
        except (StopRequested, KeyboardInterrupt):  # a stop signal while waiting
            return


def _wait_for_redis(connection, lost: str, delay: float) -> None:
    """Sleep and ping with backoff until Redis answers; one warning, not one per attempt."""
    from redis.exceptions import RedisError

    log.warning("worker lost Redis (%s); reconnecting, first in %.2f s", lost, delay)
    since = last_told = time.monotonic()
    while True:
        time.sleep(delay)
        try:
            connection.ping()
        except RedisError as exc:
            delay = min(delay * 2, RECONNECT_MAX)
            if time.monotonic() - last_told > 30:
                last_told = time.monotonic()
                log.warning("still no Redis after %.0f s (%s)", last_told - since, exc)
            continue
        log.warning("Redis answers again after %.1f s; taking jobs", time.monotonic() - since)
        return
