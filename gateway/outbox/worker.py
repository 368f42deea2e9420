"""RQ entry point: `autocrm worker` runs deliveries that the gateway's dispatcher enqueued."""

from __future__ import annotations

import asyncio
import logging

from gateway.outbox.run import run_delivery
from gateway.settings import get_settings
from store.jobs import JobContext

log = logging.getLogger(__name__)
_loop: asyncio.AbstractEventLoop | None = None
_ctx: JobContext | None = None


def _context() -> tuple[asyncio.AbstractEventLoop, JobContext]:
    # One loop and one engine per worker process, reused across jobs (no per-job start-up).
    global _loop, _ctx
    if _ctx is None:
        from store.db import Database

        settings = get_settings()
        _loop = asyncio.new_event_loop()
        _ctx = JobContext(db=Database(settings.db_url), settings=settings)
    return _loop, _ctx


def run_delivery_job(delivery_id: int) -> None:
    loop, ctx = _context()
    loop.run_until_complete(run_delivery(ctx, delivery_id))


def run_worker(redis_url: str, burst: bool = False) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(redis_url)
    # SimpleWorker: no fork per job, so the loop, engine and loaded models stay warm.
    worker = SimpleWorker([Queue("autocrm", connection=connection)], connection=connection)
    worker.work(burst=burst, with_scheduler=False)
