"""Personal stats for an agent (tickets solved, median first response and resolution times)
and the team dashboard's aggregates (per day, per channel, what the bot did).

Medians are taken in Python over the period's rows (one agent's tickets in a month are few),
which keeps the query the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import utcnow
from store.tickets.models import OPEN_CATEGORIES, Message, Ticket


@dataclass(frozen=True)
class AgentStats:
    days: int
    solved: int
    open_assigned: int
    median_first_response: timedelta | None
    median_resolution: timedelta | None


def _median(spans: list[timedelta]) -> timedelta | None:
    return median(spans) if spans else None


async def agent_stats(
    session: AsyncSession, *, user_id: int, days: int = 30, now: datetime | None = None
) -> AgentStats:
    """Over tickets assigned to the agent: solved in the last `days`, first responses given
    in them, and the tickets still open now."""
    since = (now or utcnow()) - timedelta(days=days)
    mine = Ticket.assignee_id == user_id
    solved = list(
        await session.execute(
            select(Ticket.created_at, Ticket.solved_at).where(mine, Ticket.solved_at >= since)
        )
    )
    responded = list(
        await session.execute(
            select(Ticket.created_at, Ticket.first_response_at).where(
                mine, Ticket.first_response_at >= since
            )
        )
    )
    open_assigned = await session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(mine, Ticket.status_category.in_(OPEN_CATEGORIES))
    )
    return AgentStats(
        days=days,
        solved=len(solved),
        open_assigned=open_assigned or 0,
        median_first_response=_median([done - created for created, done in responded]),
        median_resolution=_median([done - created for created, done in solved]),
    )


# --- the team dashboard ------------------------------------------------------------------------

BOT_OUTCOMES = ("bot_answered", "escalated", "unanswered")


@dataclass(frozen=True)
class DayStats:
    day: date
    created: int
    solved: int
    median_first_response: timedelta | None


@dataclass(frozen=True)
class TeamStats:
    days: int
    per_day: list[DayStats]  # every day of the period, oldest first, zeros included
    by_channel: list[tuple[str, int]]  # tickets created, busiest channel first
    bot: dict[str, int]  # BOT_OUTCOMES -> tickets created in the period
    created: int
    solved: int
    median_first_response: timedelta | None
    median_resolution: timedelta | None

    @property
    def bot_rate(self) -> float | None:
        """Share of the tickets the bot took part in that it answered without a human."""
        handled = self.bot["bot_answered"] + self.bot["escalated"]
        return self.bot["bot_answered"] / handled if handled else None


def _by_day(rows, start: date) -> dict[date, list]:
    """Rows grouped by the UTC day of their first column."""
    out: dict[date, list] = {}
    for row in rows:
        day = row[0].astimezone(UTC).date()
        if day >= start:
            out.setdefault(day, []).append(row)
    return out


async def _bot_outcomes(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Per ticket created since then: humans own it (escalated or taken over), or the bot
    still does, having replied or not (the bot was off, or is still thinking)."""
    replied = (
        select(Message.id)
        .where(Message.ticket_id == Ticket.id, Message.author_kind == "bot")
        .exists()
    )
    outcome = case(
        (Ticket.owner == "human", "escalated"),
        (replied, "bot_answered"),
        else_="unanswered",
    )
    rows = await session.execute(
        select(outcome, func.count()).where(Ticket.created_at >= since).group_by(outcome)
    )
    counts = dict.fromkeys(BOT_OUTCOMES, 0)
    counts.update({name: n for name, n in rows})
    return counts


async def team_stats(
    session: AsyncSession, *, days: int = 30, now: datetime | None = None
) -> TeamStats:
    """Every ticket, per UTC day: created, solved, median first response; by channel; what
    the bot did. Counts are grouped in the database, day buckets and medians in Python."""
    now = now or utcnow()
    start = (now - timedelta(days=days - 1)).astimezone(UTC).date()
    since = datetime.combine(start, time.min, tzinfo=UTC)
    created = list(
        await session.execute(
            select(Ticket.created_at, Ticket.first_response_at).where(Ticket.created_at >= since)
        )
    )
    solved = list(
        await session.execute(
            select(Ticket.solved_at, Ticket.created_at).where(Ticket.solved_at >= since)
        )
    )
    channels = await session.execute(
        select(Ticket.channel, func.count())
        .where(Ticket.created_at >= since)
        .group_by(Ticket.channel)
        .order_by(func.count().desc(), Ticket.channel)
    )
    made, done = _by_day(created, start), _by_day(solved, start)
    per_day = []
    for n in range(days):
        day = start + timedelta(days=n)
        waits = [first - c for c, first in made.get(day, []) if first is not None]
        per_day.append(
            DayStats(day, len(made.get(day, [])), len(done.get(day, [])), _median(waits))
        )
    responses = [first - c for c, first in created if first is not None]
    return TeamStats(
        days=days,
        per_day=per_day,
        by_channel=[(name, n) for name, n in channels],
        bot=await _bot_outcomes(session, since),
        created=len(created),
        solved=len(solved),
        median_first_response=_median(responses),
        median_resolution=_median([s - c for s, c in solved]),
    )
