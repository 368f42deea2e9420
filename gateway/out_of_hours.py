"""Outside business hours: whose hours a channel keeps (its team, else the default team),
and the outbox job that answers a customer's message once per ticket per closed period with
the time we open again, in their language (declared in gateway/outbox/table.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.assignment.settings import get_settings
from store.assignment.taking import lock_ticket
from store.db import utcnow
from store.jobs import JobContext
from store.sla import business_hours, replies
from store.sla.clocks import NOISE
from store.sla.schemas import HoursStatus
from store.tickets import service as tickets

# A bot-kind author: the reply neither takes the ticket over for a human nor counts as its
# first response (store/sla/clocks.py leaves these replies out by their record).
AUTO_REPLY = Actor("bot", None, "out-of-hours reply")
CLOSED = ("solved", "closed")


async def hours_status(
    session: AsyncSession,
    *,
    channel: str | None = None,
    team_id: int | None = None,
    now: datetime | None = None,
) -> HoursStatus:
    """Open now, or when next, for a team or a channel (falling back on the default team)."""
    default = (await get_settings(session)).default_team_id
    return await business_hours.next_open_for(
        session, team_id=team_id, channel=channel, default_team_id=default, now=now or utcnow()
    )


async def out_of_hours_reply(ctx: JobContext, args: dict) -> None:
    """message.received while the ticket's hours are closed: tell the customer when we open."""
    if NOISE & set(args.get("flags") or ()):
        return  # never answer an auto-reply or a bounce (mail loops)
    now = ctx.extras.get("clock", utcnow)()
    async with ctx.db.uow() as session:
        ticket = await lock_ticket(session, args["ticket_id"])
        if ticket is None or ticket.status_category in CLOSED:
            return
        settings = await business_hours.get_channel(session, channel=ticket.channel)
        if settings is None or not settings.auto_reply:
            return
        status = await hours_status(
            session, channel=ticket.channel, team_id=ticket.team_id, now=now
        )
        period = replies.period_key(status.next_open)
        if status.open_now or await replies.already_sent(
            session, ticket_id=ticket.id, period=period
        ):
            return
        text = replies.reply_text(
            settings.messages, ticket.language, status.next_open, status.timezone
        )
        message = await tickets.reply(
            session, ticket_id=ticket.id, body=text, actor=AUTO_REPLY, automated=True
        )
        await replies.record(session, ticket_id=ticket.id, period=period, message_id=message.id)
