"""The ticket page: the customer's whole timeline, composer, properties, the bot's brief."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.console import bot, sla_clock
from gateway.console.web import Agent, ReadSession, Staff, render, templates
from gateway.widget_routes import file_url
from store.assignment import queue as waiting_queue
from store.config import service as config
from store.console.timeline import related_tickets, timeline
from store.contacts import service as contacts
from store.db import utcnow
from store.errors import NotFound
from store.html import sanitize_html
from store.outbox.service import list_events
from store.staff import service as staff
from store.tickets import service as tickets
from store.tickets.models import PRIORITIES

router = APIRouter(prefix="/console/tickets", include_in_schema=False)


async def _live_parts(request: Request, session: AsyncSession, ticket_id: int) -> dict:
    """What changes while the page is open: timeline, properties' values, the bot's brief."""
    ticket = await tickets.get(session, ticket_id=ticket_id)
    contact = None
    if ticket.contact_id:  # a deleted contact nulls the column (ON DELETE SET NULL)
        contact = await contacts.get(session, contact_id=ticket.contact_id)
    related = await related_tickets(session, ticket=ticket)
    events = await list_events(session, ticket_id=ticket.id, limit=1000)
    secret = request.app.state.settings.secret
    return {
        "ticket": ticket,
        "contact": contact,
        "related": related,
        "items": await timeline(
            session, ticket=ticket, ticket_ids=[t.id for t in related], events=events
        ),
        "brief": bot.brief(events),
        "sla": sla_clock.clocks(ticket, utcnow()),
        "queued": await waiting_queue.is_queued(session, ticket_id=ticket.id),
        "users": {u.id: u for u in await staff.list_users(session)},
        "teams": await staff.list_teams(session),
        "statuses": await config.list_statuses(session),
        "fields": await config.list_fields(session),
        "priorities": PRIORITIES,
        "clean_html": sanitize_html,
        "describe": describe,
        "file_url": lambda a: file_url(secret, a.sha256, a.filename, a.content_type),
    }


@router.get("/{ticket_id}")
async def ticket_page(ticket_id: int, request: Request, session: ReadSession, me: Agent):
    try:
        parts = await _live_parts(request, session, ticket_id)
    except NotFound:
        return render(request, "not_found.html", 404, me=me, what=f"Ticket #{ticket_id}")
    macros = await config.list_macros(session)
    return render(request, "ticket.html", me=me, macros=macros, **parts)


@router.get("/{ticket_id}/live")
async def ticket_live(ticket_id: int, request: Request, session: ReadSession, me: Agent):
    """The page's changing parts as HTML, for the script to swap in after a socket event."""
    parts = await _live_parts(request, session, ticket_id)
    return JSONResponse({name: _fragment(name, me, parts) for name in FRAGMENTS})


FRAGMENTS = ("timeline", "properties", "brief")


def _fragment(name: str, me: Staff, parts: dict) -> str:
    return templates.get_template(f"_ticket_{name}.html").render(me=me, **parts)


def describe(event, users: dict, teams: list) -> str:
    """An audit line in words: who changed what, from what to what."""
    who = event.actor_name or event.actor_kind
    if event.type == "ticket.updated":
        names = {"assignee_id": {u.id: u.name or u.email for u in users.values()}}
        names["team_id"] = {t.id: t.name for t in teams}
        parts = []
        for key, after in (event.after or {}).items():
            before = (event.before or {}).get(key)
            label = {"assignee_id": "assignee", "team_id": "team"}.get(key, key)
            show = names.get(key, {})
            parts.append(f"{label} {_value(before, show)} → {_value(after, show)}")
        return f"{who} changed " + "; ".join(parts)
    if event.type in ("ticket.assigned", "ticket.queued"):
        return _assignment(event, teams)
    if event.type == "message.edited":
        return f"{who} edited a message"
    if event.type == "message.deleted":
        return f"{who} deleted a message"
    payload = event.payload or {}
    detail = payload.get("action") or payload.get("reason") or ""
    return f"{who}: {event.type.removeprefix('agent.')}" + (f" ({detail})" if detail else "")


def _assignment(event, teams: list) -> str:
    """An assignment or a wait in a queue, with the engine's reason."""
    payload = event.payload or {}
    reason = payload.get("reason") or ""
    if event.type == "ticket.assigned":
        name = payload.get("user_name") or "an agent"
        head = f"Assigned to {name}"
        reason = reason.removeprefix(f"to {name}; ")  # the engine's reason names them too
    else:
        team = {t.id: t.name for t in teams}.get(payload.get("team_id"))
        head = f"Waiting in the {team} queue" if team else "Waiting for a human"
    return f"{head}: {reason}" if reason else head


def _value(value, names: dict) -> str:
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(names.get(value, value))
