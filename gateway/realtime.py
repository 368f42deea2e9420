"""The socket.io server: /widget for customers, /console for staff, fed by the outbox.

Every committed outbox event reaches the console (room `console` and the ticket's room
`ticket:<id>`); customer-visible ones (messages in and out, never notes) reach the widget
conversation's room. With REDIS_URL set, python-socketio's Redis manager carries each emit to
the gateway process that holds the socket, so one dispatcher serves every replica.
"""

from __future__ import annotations

import json
import logging
from base64 import b64decode

import socketio
from itsdangerous import BadSignature, TimestampSigner

from gateway import realtime_events as events
from gateway.realtime_widget import WidgetNamespace
from gateway.widget_routes import file_url
from store.staff import service as staff

log = logging.getLogger(__name__)
SESSION_COOKIE = "autocrm_session"  # as set by SessionMiddleware in gateway/app.py
SESSION_MAX_AGE = 14 * 24 * 3600
Refused = socketio.exceptions.ConnectionRefusedError


def _cookie_user(secret: str, cookie_header: str) -> int | None:
    """The user id in Starlette's signed session cookie (decoded as SessionMiddleware does)."""
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name != SESSION_COOKIE or not value:
            continue
        try:
            data = TimestampSigner(secret).unsign(value.encode(), max_age=SESSION_MAX_AGE)
            return json.loads(b64decode(data)).get("user_id")
        except (BadSignature, ValueError):
            return None
    return None


class ConsoleNamespace(socketio.AsyncNamespace):
    """Signed-in agents (session cookie) or integrations (API key with tickets:read)."""

    def __init__(self, app, realtime) -> None:
        super().__init__("/console")
        self.app = app
        self.realtime = realtime

    async def _allowed(self, environ, auth) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        async with self.app.state.db.uow() as session:  # a key's last_used_at may be written
            if token:
                key = await staff.verify_api_key(session, key=str(token))
                return key is not None and bool({"admin", "tickets:read"} & set(key.scopes))
            user_id = _cookie_user(self.app.state.settings.secret, environ.get("HTTP_COOKIE", ""))
            user = await session.get(staff.User, user_id) if user_id is not None else None
            return user is not None and user.is_active

    async def on_connect(self, sid, environ, auth):
        if not await self._allowed(environ, auth):
            raise Refused("Sign in, or pass auth {token: API key with tickets:read}.")
        await self.enter_room(sid, "console")
        self.realtime.console_sids.add(sid)

    def on_disconnect(self, sid, reason=None):
        self.realtime.console_sids.discard(sid)

    async def on_join(self, sid, data):
        await self.enter_room(sid, f"ticket:{int(data['ticket_id'])}")
        return {"ok": True}

    async def on_leave(self, sid, data):
        await self.leave_room(sid, f"ticket:{int(data['ticket_id'])}")
        return {"ok": True}

    async def on_typing(self, sid, data):
        """An agent typing: shown in the customer's widget when the ticket is a web chat."""
        async with self.app.state.db.read() as session:
            conversation = await events.conversation_of(session, int(data["ticket_id"]))
        if conversation is not None:
            typing = {"type": "typing", "author_kind": "agent", "typing": bool(data.get("typing"))}
            await self.realtime.sio.emit("event", typing, room=conversation, namespace="/widget")


class Realtime:
    def __init__(self, app) -> None:
        settings = app.state.settings
        manager = None
        if settings.redis_url:
            manager = socketio.AsyncRedisManager(settings.redis_url, channel="autocrm-socketio")
        self.app = app
        self.secret = settings.secret
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins="*",  # each widget checks its own allowed origins on connect
            max_http_buffer_size=200_000,
        )
        self.console_sids: set[str] = set()
        self.sio.register_namespace(WidgetNamespace(app, self))
        self.sio.register_namespace(ConsoleNamespace(app, self))

    def file_url(self, attachment) -> str:
        return file_url(
            self.secret, attachment.sha256, attachment.filename, attachment.content_type
        )

    def agents_online(self) -> bool:
        # The bot answers at any hour, so the chat is always staffed by someone.
        return True

    async def to_console(self, ticket_id: int | None, name: str, data: dict) -> None:
        rooms = ["console"] + ([f"ticket:{ticket_id}"] if ticket_id else [])
        await self.sio.emit(name, data, to=rooms, namespace="/console")

    async def on_event(self, event: dict) -> None:
        """The dispatcher's listener: called once per committed event, in order."""
        await self.to_console(event["ticket_id"], "event", event)
        if not events.for_widget(event):
            return  # most events need no database read at all
        async with self.app.state.db.read() as session:
            routed = await events.live_widget_event(session, event, self.file_url)
        if routed is not None:
            conversation, widget_event = routed
            await self.sio.emit("event", widget_event, room=conversation, namespace="/widget")


def install(app) -> None:
    """Mount the socket.io endpoint at /socket.io beside the HTTP routes."""
    realtime = Realtime(app)
    app.state.realtime = realtime
    app.mount("/socket.io", socketio.ASGIApp(realtime.sio, socketio_path="socket.io"))


async def startup(app) -> None:
    app.state.dispatcher.listeners.append(app.state.realtime.on_event)


async def shutdown(app) -> None:
    realtime = app.state.realtime
    for sid in list(realtime.console_sids):
        await realtime.sio.disconnect(sid, namespace="/console")
