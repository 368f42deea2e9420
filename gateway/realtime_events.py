"""What the widget sees of a conversation: committed events as widget events, live and replayed.

The sequence number of a widget event is the outbox event id: ids are global and increasing,
so `id > last_seq` over the conversation's tickets is exactly what a reconnecting client missed,
and it comes from the database, so it survives restarts and works across gateway processes.
Notes and staff-only changes never become widget events.

A customer's message is pushed right after its commit (gateway/realtime_live.py);
the dispatcher's later pass over the same event is the durable fallback. `Claims` makes sure
only the first of the two emits it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from channels.webchat.limits import NAME as WEBCHAT
from store.tickets import conversation as conversations
from store.tickets import service as tickets
from store.tickets.models import Message

WIDGET_TYPES = ("message.received", "message.queued")
MAX_REPLAY = 1_000


def message_json(message: Message, *, author_name: str | None, attachment_url) -> dict[str, Any]:
    return {
        "id": message.id,
        "client_id": message.client_id,
        "direction": message.direction,
        "author_kind": message.author_kind,
        "author_name": author_name if message.direction == "out" else None,
        "text": message.text,
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "url": attachment_url(a),
                "content_type": a.content_type,
                "size": a.size,
            }
            for a in message.attachments
        ],
        "created_at": message.created_at.isoformat(),
    }


def widget_event(event_id: int, message: Message, actor_name: str, attachment_url) -> dict:
    body = message_json(message, author_name=actor_name or None, attachment_url=attachment_url)
    return {"seq": event_id, "type": "message", "message": body}


async def conversation_of(session: AsyncSession, ticket_id: int) -> str | None:
    """The widget conversation a ticket belongs to (None for other channels)."""
    return await conversations.thread_of(session, ticket_id=ticket_id, channel=WEBCHAT)


async def latest_ticket(session: AsyncSession, conversation_id: str) -> int | None:
    ticket = await tickets.latest_by_thread(session, channel=WEBCHAT, thread_key=conversation_id)
    return ticket.id if ticket else None


async def replay(
    session: AsyncSession, conversation_id: str, last_seq: int, attachment_url
) -> list[dict]:
    """The conversation's widget events after `last_seq`, oldest first."""
    rows = await conversations.message_events(
        session,
        channel=WEBCHAT,
        thread_key=conversation_id,
        types=WIDGET_TYPES,
        after_id=last_seq,
        limit=MAX_REPLAY,
    )
    return [
        widget_event(event.id, message, event.actor_name, attachment_url) for event, message in rows
    ]


class Claims:
    """Event ids this process has pushed to sockets, so each is emitted once, not twice.

    Both the live push after a commit and the dispatcher's listener claim an id; whoever comes
    first emits it. An id claimed the second time is forgotten (nobody claims it a third time),
    so the set stays small; the size bound covers events the other side never sees here
    (another process's dispatcher fanned them out).
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: dict[int, None] = {}  # insertion-ordered: the oldest is evicted first

    def claim(self, event_id: int) -> bool:
        if event_id in self._ids:
            del self._ids[event_id]
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            del self._ids[next(iter(self._ids))]
        return True

    def release(self, event_id: int) -> None:
        """The push failed: let the dispatcher emit it after all."""
        self._ids.pop(event_id, None)


def for_widget(event: dict) -> bool:
    """Could a customer see this event? Decided from the event alone, before any read."""
    return event["type"] in WIDGET_TYPES and event["payload"].get("channel") == WEBCHAT


async def live_widget_event(session: AsyncSession, event: dict, attachment_url):
    """(conversation id, widget event) for a committed widget-visible outbox event."""
    conversation = await conversation_of(session, event["ticket_id"])
    message = await conversations.get_message(session, message_id=event["payload"]["message_id"])
    if conversation is None or message is None:
        return None
    return conversation, widget_event(event["id"], message, event["actor"]["name"], attachment_url)


AGENTS_ROOM = "agents"  # every signed-in staff console (not API-key integrations)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def team_room(team_id: int) -> str:
    return f"team:{team_id}"


def alert_for(event: dict) -> tuple[str, dict] | None:
    """(room, `alert` data) for an event someone must act on: a ticket assigned to an agent
    (their room), or one waiting unassigned (its team's room; every agent when it has none)."""
    kind = {"ticket.assigned": "assigned", "ticket.queued": "queued"}.get(event["type"])
    if kind is None:
        return None
    payload = event["payload"] or {}
    team_id = payload.get("team_id")
    if kind == "assigned":
        room = user_room(payload["user_id"])
    else:
        room = team_room(team_id) if team_id is not None else AGENTS_ROOM
    data = {
        "kind": kind,
        "event_id": event["id"],
        "ticket_id": event["ticket_id"],
        "user_id": payload.get("user_id"),
        "team_id": team_id,
        "reason": payload.get("reason", ""),
        "at": event["created_at"],
    }
    return room, data
