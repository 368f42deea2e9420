"""The queue: views, quick filters, search, sorting, saved views; rows re-rendered live."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.console import sla_clock
from gateway.console.web import Agent, ReadSession, Staff, check_csrf, render
from gateway.deps import Session
from store.agent import triage as ticket_triage
from store.assignment import queue as waiting_queue
from store.config import service as config
from store.console import service as views
from store.contacts import service as contacts
from store.db import utcnow
from store.errors import DomainError
from store.staff import service as staff
from store.tickets.models import OPEN_CATEGORIES, PRIORITIES
from store.tickets.search import SORTS, TicketFilter, list_tickets

router = APIRouter(prefix="/console", include_in_schema=False)

VIEWS = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "team": "My team",
    "escalated": "Escalated by the bot",
    "all": "All",
}
SORT_LABELS = {
    "-updated": "Recently updated",
    "updated": "Least recently updated",
    "-created": "Newest",
    "created": "Oldest",
    "sla_due": "Due soonest (SLA)",
}
PAGE_SIZE = 50
MAX_WAITING = 1000  # queue entries read per page for the "needs a human" marks


@dataclass
class QueueQuery:
    """The queue's query string; every field is a single value, '' meaning 'not filtered'.

    status '' means unsolved (new, open, pending); 'any' lifts that; assignee 'none' means
    unassigned. Unknown values are dropped, never an error page.
    """

    view: str = "all"
    status: str = ""
    priority: str = ""
    channel: str = ""
    tag: str = ""
    assignee: str = ""
    team: str = ""
    q: str = ""
    sort: str = "-updated"

    @classmethod
    def parse(cls, params) -> QueueQuery:
        raw = {f.name: str(params.get(f.name) or "").strip()[:200] for f in fields(cls)}
        query = cls(**{k: v for k, v in raw.items() if v})
        query.view = query.view if query.view in VIEWS else "all"
        query.sort = query.sort if query.sort in SORTS else "-updated"
        query.priority = query.priority if query.priority in PRIORITIES else ""
        for name in ("team", "assignee"):
            value = getattr(query, name)
            if not (value.isdigit() or (name == "assignee" and value == "none")):
                setattr(query, name, "")
        return query

    def params(self, **override) -> dict[str, str]:
        """The non-default fields (for links, the rows fragment and saved views)."""
        values = asdict(self) | override
        defaults = asdict(QueueQuery())
        return {k: v for k, v in values.items() if v and v != defaults.get(k)}

    def link(self, **override) -> str:
        return "/console?" + urlencode(self.params(**override))

    def to_filter(self, me: Staff) -> TicketFilter:
        f = TicketFilter(q=self.q or None)
        if self.view == "mine":
            f.assignee_id = me.id
        elif self.view == "unassigned":
            f.unassigned = True
        elif self.view == "team":
            team = int(self.team) if self.team else (me.team_ids[0] if me.team_ids else 0)
            f.team_id = team  # 0 matches no team: an agent in no team sees an empty view
        elif self.view == "escalated":
            f.owner = "human"  # the bot handed the ticket over (or a human took it)
        if self.status != "any":
            f.status = [self.status] if self.status else list(OPEN_CATEGORIES)
        f.priority = [self.priority] if self.priority else None
        f.channel = [self.channel] if self.channel else None
        f.tag = [self.tag.lower()] if self.tag else None
        if self.assignee == "none":
            f.unassigned = True
        elif self.assignee:
            f.assignee_id = int(self.assignee)
        return f


async def _query_from(request: Request, session: AsyncSession, me: Staff):
    """The query in the URL, or the saved view it names (None when that view is gone)."""
    saved_id = request.query_params.get("saved", "")
    if not saved_id.isdigit():
        return QueueQuery.parse(request.query_params), None
    try:
        view = await views.get_view(session, user_id=me.id, view_id=int(saved_id))
    except DomainError:
        return QueueQuery.parse(request.query_params), None
    return QueueQuery.parse(view.filters), view


async def _rows(request: Request, session: AsyncSession, me: Staff, query: QueueQuery):
    cursor = request.query_params.get("cursor") or None
    try:
        tickets, next_cursor = await list_tickets(
            session, filters=query.to_filter(me), sort=query.sort, cursor=cursor, limit=PAGE_SIZE
        )
    except DomainError:  # a mangled cursor: start from the top
        tickets, next_cursor = await list_tickets(
            session, filters=query.to_filter(me), sort=query.sort, limit=PAGE_SIZE
        )
    contact_ids = {t.contact_id for t in tickets if t.contact_id}
    people = await contacts.list_by_ids(session, ids=contact_ids)
    triage = await ticket_triage.for_tickets(session, ticket_ids=[t.id for t in tickets])
    more = None
    if next_cursor:
        more = "/console/queue/rows?" + urlencode(query.params() | {"cursor": next_cursor})
    queued = await waiting_queue.listing(session, team_ids=None, limit=MAX_WAITING)
    return {
        "tickets": tickets,
        "contacts": people,
        "more": more,
        "triage": triage,  # intent, mood and language of each ticket's newest message
        "waiting": {w.ticket_id: w for w in queued},
        "now": utcnow(),
        "sla_headline": sla_clock.headline,
        "needs_human": sla_clock.needs_human,
        "waited": sla_clock.waited,
    }


@router.get("")
async def queue_page(request: Request, session: ReadSession, me: Agent):
    query, saved = await _query_from(request, session, me)
    users = await staff.list_users(session)
    return render(
        request,
        "queue.html",
        me=me,
        query=query,
        saved=saved,
        views=VIEWS,
        sorts=SORT_LABELS,
        saved_views=await views.list_views(session, user_id=me.id),
        users={u.id: u for u in users},
        teams=await staff.list_teams(session),
        statuses=await config.list_statuses(session),
        priorities=PRIORITIES,
        notice=request.query_params.get("notice", "")[:300],
        **await _rows(request, session, me, query),
    )


@router.get("/queue/rows")
async def queue_rows(request: Request, session: ReadSession, me: Agent):
    """The rows alone, for live refreshes and 'load more' (same query string as the page)."""
    query, _ = await _query_from(request, session, me)
    users = {u.id: u for u in await staff.list_users(session)}
    rows = await _rows(request, session, me, query)
    return render(request, "_queue_rows.html", me=me, users=users, **rows)


@router.post("/views")
async def save_view(
    request: Request,
    session: Session,
    me: Agent,
    name: Annotated[str, Form(max_length=100)],
    filters: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    """Save the current filters (the page's query string) under a name."""
    check_csrf(request, csrf_token)
    query = QueueQuery.parse(dict(parse_qsl(filters)))
    try:
        view = await views.create_view(session, user_id=me.id, name=name, filters=query.params())
    except DomainError as exc:  # a taken or empty name: back to the same filters, saying why
        return RedirectResponse(query.link(notice=exc.detail), status_code=303)
    return RedirectResponse(f"/console?saved={view.id}", status_code=303)


@router.post("/views/{view_id}/delete")
async def delete_view(
    request: Request,
    view_id: int,
    session: Session,
    me: Agent,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    check_csrf(request, csrf_token)
    await views.delete_view(session, user_id=me.id, view_id=view_id)
    return RedirectResponse("/console", status_code=303)
