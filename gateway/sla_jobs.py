"""The SLA's outbox jobs (declared in gateway/outbox/table.py): keep a ticket's clocks in step
with what happens to it, and look again when a warning or due time comes."""

from __future__ import annotations

from store.assignment.taking import lock_ticket
from store.db import utcnow
from store.jobs import JobContext
from store.sla import clocks


def _now(ctx: JobContext):
    return ctx.extras.get("clock", utcnow)()  # tests may inject a clock


async def sla_clock(ctx: JobContext, args: dict) -> None:
    """A ticket event, or a check due now: rebuild the clocks under the ticket's row lock (so
    two runs for one ticket never interleave), writing any warning or breach that is due."""
    async with ctx.db.uow() as session:
        ticket = await lock_ticket(session, args["ticket_id"])
        if ticket is not None:
            await clocks.rebuild(
                session, ticket=ticket, created_at=ticket.created_at, now=_now(ctx)
            )
