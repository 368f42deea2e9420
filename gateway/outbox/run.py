"""Running one leased delivery: a signed webhook POST or a job from the table; never raises."""

from __future__ import annotations

import logging

from gateway.outbox import table
from gateway.outbox.webhook import post_webhook
from store.jobs import JobContext, PermanentFailure, RetryLater
from store.outbox import deliveries
from store.outbox.deliveries import Leased, Outcome

log = logging.getLogger(__name__)


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


async def run_delivery(ctx: JobContext, delivery_id: int) -> None:
    """Run one leased delivery and record the outcome (the RQ worker's path)."""
    # A read snapshot suffices (the lease was committed before the job was enqueued).
    async with ctx.db.read() as session:
        leased = await deliveries.load_leased(session, delivery_id)
    if leased is None:
        return
    outcome = await execute(ctx, leased)
    async with ctx.db.uow() as session:
        dead = await deliveries.record_in(session, ctx.settings, [outcome])
    await tell_gave_up(ctx, dead)
