"""Business hours services: a team's schedule (read, replace, remove), the per-channel
out-of-hours settings, and `next_open_for` a team or channel. A team without hours is open
around the clock."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import utcnow
from store.errors import Invalid, NotFound
from store.sla.hours import ALWAYS, Schedule
from store.sla.models import BusinessHours, ChannelHours
from store.sla.schemas import (
    DAYS,
    BusinessHoursWrite,
    ChannelHoursWrite,
    HoursStatus,
    OpenInterval,
)
from store.staff.models import Team

# Schedules are rebuilt only when their row changes (holiday tables are built per year on
# first use, so a kept schedule is also the cheaper one).
_built: dict[int, tuple[datetime, Schedule]] = {}


class _Closed:
    """Closed dates: the custom ones and the country's public holidays."""

    def __init__(self, custom: set[date], country: str | None, subdivision: str | None):
        self.custom = custom
        self.public = holidays.country_holidays(country, subdiv=subdivision) if country else None

    def __call__(self, day: date) -> bool:
        return day in self.custom or (self.public is not None and day in self.public)


def build_schedule(row: BusinessHours) -> Schedule:
    week = tuple(
        tuple(sorted(OpenInterval.model_validate(i).span() for i in row.week.get(day, [])))
        for day in DAYS
    )
    custom = {date.fromisoformat(d["date"]) for d in row.closed_dates}
    closed = _Closed(custom, row.holiday_country, row.holiday_subdivision)
    return Schedule(ZoneInfo(row.timezone), week, closed)


def schedule_of(row: BusinessHours | None) -> Schedule:
    if row is None:
        return ALWAYS
    known = _built.get(row.id)
    if known is None or known[0] != row.updated_at:
        known = _built[row.id] = (row.updated_at, build_schedule(row))
    return known[1]


async def get_hours(session: AsyncSession, *, team_id: int) -> BusinessHours | None:
    return await session.scalar(select(BusinessHours).where(BusinessHours.team_id == team_id))


async def schedule_for(session: AsyncSession, *, team_id: int | None) -> Schedule:
    """The team's schedule; around the clock for no team or a team without hours."""
    if team_id is None:
        return ALWAYS
    return schedule_of(await get_hours(session, team_id=team_id))


async def require_team(session: AsyncSession, team_id: int) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist")
    return team


async def put_hours(
    session: AsyncSession, *, team_id: int, data: BusinessHoursWrite
) -> BusinessHours:
    """Replace the team's schedule (the body was checked: zone, overlaps, holidays)."""
    await require_team(session, team_id)
    row = await get_hours(session, team_id=team_id)
    if row is None:
        row = BusinessHours(team_id=team_id)
        session.add(row)
    values = data.model_dump(mode="json")
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    await session.flush()
    return row


async def delete_hours(session: AsyncSession, *, team_id: int) -> None:
    """The team is open around the clock again."""
    row = await get_hours(session, team_id=team_id)
    if row is None:
        raise NotFound(f"team {team_id} has no business hours")
    await session.delete(row)
    await session.flush()


async def get_channel(session: AsyncSession, *, channel: str) -> ChannelHours | None:
    return await session.get(ChannelHours, channel)


async def list_channels(session: AsyncSession) -> list[ChannelHours]:
    return list(await session.scalars(select(ChannelHours).order_by(ChannelHours.channel)))


async def put_channel(
    session: AsyncSession, *, channel: str, data: ChannelHoursWrite
) -> ChannelHours:
    if data.team_id is not None:
        await require_team(session, data.team_id)
    row = await get_channel(session, channel=channel)
    if row is None:
        row = ChannelHours(channel=channel)
        session.add(row)
    row.team_id, row.auto_reply, row.messages = data.team_id, data.auto_reply, data.messages
    row.updated_at = utcnow()
    await session.flush()
    return row


async def any_auto_reply(session: AsyncSession) -> bool:
    """Does any channel answer out of hours? (The outbox table asks before starting jobs.)"""
    found = await session.scalar(
        select(ChannelHours.channel).where(ChannelHours.auto_reply.is_(True)).limit(1)
    )
    return found is not None


async def team_for(
    session: AsyncSession,
    *,
    team_id: int | None = None,
    channel: str | None = None,
    default_team_id: int | None = None,
) -> int | None:
    """Whose hours apply: the given team, else the channel's team, else the default team."""
    if team_id is None and channel is not None:
        settings = await get_channel(session, channel=channel)
        team_id = settings.team_id if settings else None
    return team_id if team_id is not None else default_team_id


async def next_open_for(
    session: AsyncSession,
    *,
    team_id: int | None = None,
    channel: str | None = None,
    default_team_id: int | None = None,
    now: datetime | None = None,
) -> HoursStatus:
    """Open now? When next? For a team, or a channel (its team, else the default team)."""
    now = now or utcnow()
    team_id = await team_for(
        session, team_id=team_id, channel=channel, default_team_id=default_team_id
    )
    if team_id is not None and await session.get(Team, team_id) is None:
        raise Invalid(f"team {team_id} does not exist")
    schedule = await schedule_for(session, team_id=team_id)
    opens = schedule.next_open(now)
    open_now = opens == now
    return HoursStatus(
        team_id=team_id,
        timezone=schedule.zone.key,
        open_now=open_now,
        next_open=None if open_now else opens,
        closes_at=schedule.next_close(now) if open_now and schedule is not ALWAYS else None,
    )
