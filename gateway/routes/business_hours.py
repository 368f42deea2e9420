"""Business hours: a team's schedule (time zone, week, holidays), whether it is open and
when it opens next, and each channel's out-of-hours settings (whose hours, auto-reply)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response

from gateway.deps import Admin, Session, TicketsRead
from gateway.out_of_hours import hours_status
from gateway.routes.sla import known_channel
from store.errors import Invalid
from store.sla import business_hours
from store.sla.schemas import (
    DAYS,
    BusinessHoursRead,
    BusinessHoursWrite,
    ChannelHoursRead,
    ChannelHoursWrite,
    HoursStatus,
)

router = APIRouter(prefix="/api/v1", tags=["business hours"])
ALWAYS_OPEN = {
    "timezone": "UTC",
    "week": {day: [{"start": "00:00", "end": "24:00"}] for day in DAYS},
}


def _aware(at: datetime | None) -> datetime | None:
    if at is not None and at.tzinfo is None:
        raise Invalid("'at' needs a time zone offset, e.g. 2025-03-30T09:00:00+02:00")
    return at


@router.get("/teams/{team_id}/hours", response_model=BusinessHoursRead)
async def get_hours(team_id: int, session: Session, who: TicketsRead):
    """A team without hours of its own is open around the clock (`is_default`: true)."""
    await business_hours.require_team(session, team_id)
    row = await business_hours.get_hours(session, team_id=team_id)
    if row is None:
        return BusinessHoursRead(team_id=team_id, is_default=True, **ALWAYS_OPEN)
    return row


@router.put("/teams/{team_id}/hours", response_model=BusinessHoursRead)
async def put_hours(team_id: int, data: BusinessHoursWrite, session: Session, who: Admin):
    return await business_hours.put_hours(session, team_id=team_id, data=data)


@router.delete("/teams/{team_id}/hours", status_code=204)
async def delete_hours(team_id: int, session: Session, who: Admin):
    await business_hours.delete_hours(session, team_id=team_id)
    return Response(status_code=204)


@router.get("/teams/{team_id}/hours/status", response_model=HoursStatus)
async def team_status(team_id: int, session: Session, who: TicketsRead, at: datetime | None = None):
    """Open at `at` (default: now)? When does it open next, when does it close?"""
    await business_hours.require_team(session, team_id)
    return await hours_status(session, team_id=team_id, now=_aware(at))


@router.get("/business-hours/channels", response_model=list[ChannelHoursRead])
async def list_channel_hours(session: Session, who: TicketsRead):
    return await business_hours.list_channels(session)


@router.put("/business-hours/channels/{channel}", response_model=ChannelHoursRead)
async def put_channel_hours(channel: str, data: ChannelHoursWrite, session: Session, who: Admin):
    known_channel(channel)
    return await business_hours.put_channel(session, channel=channel, data=data)


@router.get("/business-hours/channels/{channel}/status", response_model=HoursStatus)
async def channel_status(
    channel: str, session: Session, who: TicketsRead, at: datetime | None = None
):
    """Open on this channel (its team's hours, else the default team's)? When next?"""
    known_channel(channel)
    return await hours_status(session, channel=channel, now=_aware(at))
