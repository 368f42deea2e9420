"""Running one leased delivery: a signed webhook POST or a job from the table; never raises."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from gateway.outbox import table
from gateway.outbox.webhook import post_webhook
from store.db import utcnow
from store.jobs import JobContext, PermanentFailure, RetryLater
from store.outbox import deliveries
from store.outbox.deliveries import Leased, Outcome

log = logging.getLogger(__name__)
# A run stops this long before its lease ends when it could not renew it (the database is
# unreachable): by the time another runner may take the delivery, this one has let go.
MARGIN = timedelta(seconds=2)
# Below the RQ job timeout (dispatcher.JOB_TIMEOUT): a run that overstays is recorded as a
# failed attempt (retried, then dead), not killed by RQ unrecorded and leased again forever.
RUN_TIMEOUT = 540.0


async def tell_gave_up(ctx: JobContext, dead: list[tuple]) -> None:
    for name, args, error in dead:
        await table.gave_up(name, ctx, args, error)


async def execute(ctx: JobContext, leased: Leased) -> Outcome:
    """Run one leased delivery; never raises."""
    outcome = Outcome(leased.id)
    try:
        if leased.kind == "webhook":
            if leased.hook is None:
                raise PermanentFailure("webhook was deleted")
            url, secret, active = leased.hook
            if not active:  # disabled (by an admin or by failures): stop sending to it
                raise PermanentFailure("webhook is disabled; delivery dropped")
            outcome.code = await post_webhook(ctx, url, secret, leased.id, leased.args)
        else:
            await table.run(leased.target, ctx, leased.args)
    except RetryLater as exc:
        outcome.error, outcome.retry_hint = exc, exc.after
    except Exception as exc:  # a deliverer never dies on one bad item: record and go on
        log.warning("delivery %s (%s %s) failed: %s", leased.id, leased.kind, leased.target, exc)
        outcome.error = exc
        outcome.code = getattr(exc, "status_code", None)
    return outcome


async def run_delivery(ctx: JobContext, delivery_id: int, lease: datetime | None = None) -> None:
    """Start a delivery the dispatcher leased (`lease`: its token), run it while renewing a
    short lease, and record the outcome: the RQ worker's path, and the dispatcher's while
    Redis is down. A copy whose token is stale (another copy started) does nothing."""
    async with ctx.db.uow() as session:
        started = await deliveries.start(session, delivery_id, lease)
    if started is None:
        log.info("delivery %s is started elsewhere or finished; skipped", delivery_id)
        return
    outcome = await _run_holding(ctx, *started)
    if outcome is None:
        return  # the lease was lost: whoever holds it now runs and records it
    async with ctx.db.uow() as session:
        dead = await deliveries.record_in(session, ctx.settings, [outcome])
    await tell_gave_up(ctx, dead)


async def _execute_in_time(ctx: JobContext, leased: Leased) -> Outcome:
    try:
        return await asyncio.wait_for(execute(ctx, leased), RUN_TIMEOUT)
    except TimeoutError:
        log.warning("delivery %s ran out of time (%.0f s)", leased.id, RUN_TIMEOUT)
        return Outcome(leased.id, error=TimeoutError(f"ran longer than {RUN_TIMEOUT:.0f} s"))


class _Hold:
    """Keeps a run's lease: renews it every RENEW_EVERY until told to stop."""

    def __init__(self, ctx: JobContext, delivery_id: int, until: datetime) -> None:
        self.ctx, self.delivery_id, self.until = ctx, delivery_id, until
        self.done = asyncio.Event()

    async def keep(self) -> bool:
        """False as soon as the lease is lost, or about to end unrenewed; True once `done`."""
        every = deliveries.RENEW_EVERY.total_seconds()
        while not self.done.is_set():
            try:
                await asyncio.wait_for(self.done.wait(), every)
                break
            except TimeoutError:
                pass
            try:
                async with self.ctx.db.uow() as session:
                    renewed = await deliveries.renew(session, self.delivery_id, self.until)
            except Exception as exc:
                if utcnow() + MARGIN < self.until:
                    log.warning("delivery %s: lease not renewed (%s)", self.delivery_id, exc)
                    continue
                renewed = None
            if renewed is None:
                return False
            self.until = renewed
        return True


async def _run_holding(ctx: JobContext, leased: Leased, until: datetime) -> Outcome | None:
    """The outcome with its lease token, or None when the lease was lost and the run stopped."""
    hold = _Hold(ctx, leased.id, until)
    job = asyncio.create_task(_execute_in_time(ctx, leased))
    keeper = asyncio.create_task(hold.keep())
    await asyncio.wait({job, keeper}, return_when=asyncio.FIRST_COMPLETED)
    if job.done():
        # Not cancelled: a renewal in flight must land before its token is read.
        hold.done.set()
        await keeper
        outcome = job.result()
        outcome.lease = hold.until
        return outcome
    job.cancel()
    await asyncio.gather(job, return_exceptions=True)
    log.warning("delivery %s: lease lost mid-run; stopped, it runs again", leased.id)
    return None
