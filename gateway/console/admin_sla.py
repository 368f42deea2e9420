"""Admin pages for getting every ticket to a human on time: SLA policies, the teams' business
hours, assignment and presence settings with every agent's presence and load now. Reads go
through the store services; the forms write through /api/v1 (console/src/admin.js), so a bad
policy or schedule gets the API's 422, shown next to its field."""

from __future__ import annotations

from zoneinfo import available_timezones

from fastapi import APIRouter, Request

from channels import registry
from gateway.console.sla_clock import waited
from gateway.console.web import AdminUser, ReadSession, render
from gateway.out_of_hours import hours_status
from gateway.presence import Now
from store.assignment import queue
from store.assignment import settings as assignment_settings
from store.assignment.presence import read_users
from store.sla import business_hours, policies
from store.sla.schemas import DAYS, METRICS
from store.staff import service as staff
from store.staff.kinds import KINDS
from store.tickets.api_channel import NAME as API_CHANNEL
from store.tickets.models import PRIORITIES

router = APIRouter(prefix="/console/admin", include_in_schema=False)
ZONES = sorted(available_timezones())


def week_text(week: dict) -> dict[str, str]:
    """{day: "09:00-12:00, 13:00-17:00"}: the form's text for each day's intervals."""
    return {day: ", ".join(f"{i['start']}-{i['end']}" for i in week.get(day, [])) for day in DAYS}


@router.get("/sla")
async def sla_page(request: Request, session: ReadSession, me: AdminUser):
    return render(
        request,
        "admin/sla.html",
        me=me,
        policies=await policies.list_policies(session),
        teams=await staff.list_teams(session),
        channels=[*registry.names(), API_CHANNEL],
        priorities=PRIORITIES,
        metrics=METRICS,
    )


@router.get("/hours")
async def hours_page(request: Request, session: ReadSession, me: AdminUser, now: Now):
    teams = await staff.list_teams(session)
    rows = {t.id: await business_hours.get_hours(session, team_id=t.id) for t in teams}
    return render(
        request,
        "admin/hours.html",
        me=me,
        teams=teams,
        hours=rows,
        weeks={tid: week_text(row.week) if row else {} for tid, row in rows.items()},
        open_status={t.id: await hours_status(session, team_id=t.id, now=now) for t in teams},
        days=DAYS,
        zones=ZONES,
    )


@router.get("/assignment")
async def assignment_page(request: Request, session: ReadSession, me: AdminUser, now: Now):
    users = [u for u in await staff.list_users(session) if u.is_active]
    return render(
        request,
        "admin/assignment.html",
        me=me,
        settings=assignment_settings.read_settings(await assignment_settings.get_settings(session)),
        teams=await staff.list_teams(session),
        agents=await read_users(session, users, now=now),
        waiting=await queue.listing(session, team_ids=None),
        kinds=KINDS,
        now=now,
        waited=waited,
    )
