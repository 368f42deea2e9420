"""Honest waiting in the widget: each web chat customer waiting for a human hears, live, where
they stand (`{type: "waiting", waiting}` widget events; the same object is in `session`).

The dispatcher hands every committed event to `WaitingPush.on_event` once (in whichever
gateway fanned it out; with Redis the emit reaches the process holding the socket). An event
that moves a queue (a ticket queued, taken, closed, re-prioritised, moved; an agent's presence)
has the position of every web chat ticket waiting in the queues it touched (200 at most per
event) read again, and each conversation told. The numbers come from store/assignment/waiting.py.

Also here: the console's record that an agent opened a ticket (unseen-wait alerts).
"""

from __future__ import annotations

import logging

from channels.webchat.limits import NAME
from gateway import realtime_events as events
from store.assignment import alerts, waiting
from store.assignment import presence as staff
from store.assignment.taking import ASSIGNED_EVENT
from store.db import utcnow
from store.tickets.models import Ticket

log = logging.getLogger(__name__)
QUEUE_EVENTS = ("ticket.queued", ASSIGNED_EVENT, "ticket.updated", "user.presence_changed")
MOVES = {"status", "priority", "team_id", "assignee_id", "owner"}  # ticket.updated keys


def waiting_json(read) -> dict:
    return read.model_dump(mode="json")


async def waiting_of(session, ticket_id: int | None, now, orders: dict | None = None) -> dict:
    ticket = await session.get(Ticket, ticket_id) if ticket_id is not None else None
    read = await waiting.waiting_for(session, ticket=ticket, now=now, channel=NAME, orders=orders)
    return waiting_json(read)


class WaitingPush:
    """Each team's queue order is read once per event, however many of its customers wait."""

    def __init__(self, app, realtime) -> None:
        self.app = app
        self.realtime = realtime
        self.clock = utcnow  # tests inject one

    async def on_event(self, event: dict) -> None:
        """The dispatcher's listener (after Realtime.on_event)."""
        if event["type"] not in QUEUE_EVENTS:
            return
        if event["type"] == "ticket.updated" and not MOVES & set(event.get("after") or {}):
            return
        await self._refresh([event])

    async def _refresh(self, batch: list[dict]) -> None:
        async with self.app.state.db.read() as session:
            teams: list[int | None] = []
            ids: list[int] = []
            for event in batch:
                teams += await self._teams(session, event)
                if event["ticket_id"] is not None:
                    ids.append(event["ticket_id"])  # e.g. just taken: "assigned" now
            queued = await waiting.queued_tickets(
                session, team_ids=list(dict.fromkeys(teams)), channel=NAME
            )
            sends, orders, now = [], {}, self.clock()
            for ticket_id in dict.fromkeys(ids + queued):
                conversation = await events.conversation_of(session, ticket_id)
                if conversation is not None:
                    body = await waiting_of(session, ticket_id, now, orders)
                    sends.append((conversation, {"type": "waiting", "waiting": body}))
        for conversation, body in sends:
            await self.realtime.to_widget(conversation, body)

    async def _teams(self, session, event: dict) -> list[int | None]:
        """The queues the event moved: the ticket's team before and after; an agent's teams
        (and the shared queue every agent takes from)."""
        if event["type"] == "user.presence_changed":
            user_id = (event.get("payload") or {}).get("user_id") or 0
            return [None, *await staff.team_ids_of(session, user_id=user_id)]
        found = [
            side.get("team_id") for side in (event.get("before") or {}, event.get("after") or {})
        ]
        found.append((event.get("payload") or {}).get("team_id"))
        ticket = await session.get(Ticket, event["ticket_id"]) if event["ticket_id"] else None
        if ticket is not None:
            found.append(ticket.team_id)
        return list(dict.fromkeys(found))


async def mark_seen(app, *, ticket_id: int, user_id: int) -> None:
    """An agent opened the ticket in the console: its unseen-wait alert stays quiet."""
    try:
        async with app.state.db.uow() as session:
            await alerts.mark_seen(session, ticket_id=ticket_id, user_id=user_id, now=utcnow())
    except Exception:  # a view not recorded costs an email at worst; the join goes on
        log.exception("could not record that user %s opened ticket %s", user_id, ticket_id)
