"""The socket.io server: /widget for customers, /console for staff, fed by the outbox.

Every committed outbox event reaches the console (room `console` and the ticket's room
`ticket:<id>`); customer-visible ones (messages in and out, never notes) reach the widget
conversation's room. With REDIS_URL set, python-socketio's Redis manager carries each emit to
the gateway process that holds the socket, so one dispatcher serves every replica.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import socketio

from gateway import principal as principals
from gateway import realtime_events as events
from gateway.presence import Presence
from gateway.realtime_live import LivePush
from gateway.realtime_resilient import ResilientRedisManager
from gateway.realtime_revoke import CredentialWatch
from gateway.realtime_widget import WidgetNamespace
from gateway.realtime_widget_waiting import WaitingPush, mark_seen
from gateway.socket_payloads import ConsolePresence, ConsoleTyping, TicketRef, checked, error
from gateway.widget_routes import file_url
from store.actor import Actor

log = logging.getLogger(__name__)
Refused = socketio.exceptions.ConnectionRefusedError


@dataclass
class Viewer:
    """Who is on a console socket (for presence), and which tickets they have open."""

    user_id: int | None
    name: str
    tickets: set[int] = field(default_factory=set)
    active: bool = False  # used since the last heartbeat (joined a ticket, typed)
    scopes: frozenset[str] = frozenset()  # what each event may do (socket_payloads.checked)
    team_ids: tuple[int, ...] = ()


PRESENCE_STATES = ("viewing", "replying", "left")


class ConsoleNamespace(socketio.AsyncNamespace):
    """Signed-in agents (session cookie) or integrations (API key with tickets:read).

    Presence: `join`/`leave` a ticket and `presence` {ticket_id, state} (viewing | replying)
    are relayed to the others in the ticket's room as `presence` {ticket_id, user_id, name,
    state, hello}; `hello` marks a newcomer, whom the others answer with their own state.

    Agent presence (gateway/presence.py): connecting makes a signed-in agent online and sends
    them `presence_self` {user_id, presence, heartbeat_every, idle_away_seconds};
    `heartbeat` {active} keeps them present; `presence_set` {state: online|away|offline}.
    Every change reaches every console as the `user.presence_changed` event.

    Alerts: `alert` {kind: assigned | queued, event_id, ticket_id, user_id, team_id, reason,
    at} reaches the assignee's consoles (room `user:<id>`) for `ticket.assigned`, and the
    team's (`team:<id>`, every agent's when no team) for `ticket.queued`.
    """

    def __init__(self, app, realtime) -> None:
        super().__init__("/console")
        self.app = app
        self.realtime = realtime
        self.viewers: dict[str, Viewer] = {}

    async def _viewer(self, environ, auth) -> Viewer | None:
        secret = self.app.state.settings.secret
        who = await principals.from_socket(self.app.state.db, secret, environ, auth)
        if who is None or not who.allows("tickets:read"):
            return None
        teams = who.staff.team_ids if who.staff else ()
        return Viewer(who.user_id, who.actor.name, scopes=who.scopes, team_ids=teams)

    def allows(self, sid, scope: str) -> bool:
        viewer = self.viewers.get(sid)
        return viewer is not None and ("admin" in viewer.scopes or scope in viewer.scopes)

    async def on_connect(self, sid, environ, auth):
        viewer = await self._viewer(environ, auth)
        if viewer is None:
            raise Refused("Sign in, or pass auth {token: API key with tickets:read}.")
        self.viewers[sid] = viewer
        self.realtime.credentials.watch(sid, environ, auth)  # dropped when they are revoked
        await self.enter_room(sid, "console")
        self.realtime.console_sids.add(sid)
        if viewer.user_id is not None:
            await self._enter_alert_rooms(sid, viewer)
            actor = Actor("user", viewer.user_id, viewer.name)
            await self.emit("presence_self", await self.agents.connected(sid, actor), to=sid)

    async def _enter_alert_rooms(self, sid, viewer: Viewer) -> None:
        """Where `alert`s reach this agent: their own room, their teams' and every agent's
        (team membership is read at connect; the console reconnects on each page)."""
        rooms = [events.AGENTS_ROOM, events.user_room(viewer.user_id)]
        rooms += [events.team_room(t) for t in viewer.team_ids]
        for room in rooms:
            await self.enter_room(sid, room)

    @property
    def agents(self) -> Presence:
        return self.realtime.presence

    async def on_disconnect(self, sid, reason=None):
        self.realtime.console_sids.discard(sid)
        self.realtime.credentials.forget(sid)
        viewer = self.viewers.pop(sid, None)
        for ticket_id in viewer.tickets if viewer else ():
            await self._announce(sid, viewer, ticket_id, "left")
        if viewer is not None and viewer.user_id is not None:
            await self.agents.disconnected(sid, viewer.user_id)

    async def on_heartbeat(self, sid, data=None):
        """The console is open ({active: true}: someone used it since the last beat)."""
        viewer = self.viewers.get(sid)
        if viewer is not None and viewer.user_id is not None:
            active, viewer.active = viewer.active, False
            return await self.agents.heartbeat(viewer.user_id, data, active=active)
        return self.agents.nobody

    async def on_presence_set(self, sid, data=None):
        """The agent's own toggle: {state: online | away | offline}."""
        viewer = self.viewers.get(sid)
        if viewer is not None and viewer.user_id is not None:
            return await self.agents.set(Actor("user", viewer.user_id, viewer.name), data)
        return self.agents.nobody

    async def _announce(self, sid, viewer: Viewer, ticket_id: int, state: str, hello=False):
        if viewer.user_id is None:
            return  # an integration reading the feed is nobody's colleague
        data = {"ticket_id": ticket_id, "user_id": viewer.user_id, "name": viewer.name}
        data |= {"state": state, "hello": hello}
        await self.emit("presence", data, room=f"ticket:{ticket_id}", skip_sid=sid)

    @checked(TicketRef, scope="tickets:read")
    async def on_join(self, sid, data: TicketRef):
        ticket_id = data.ticket_id
        await self.enter_room(sid, f"ticket:{ticket_id}")
        viewer = self.viewers.get(sid)
        if viewer is not None:
            viewer.tickets.add(ticket_id)
            viewer.active = True
            if viewer.user_id is not None:  # opened: its unseen-wait alert stays quiet
                await mark_seen(self.app, ticket_id=ticket_id, user_id=viewer.user_id)
            await self._announce(sid, viewer, ticket_id, "viewing", hello=True)
        return {"ok": True}

    @checked(TicketRef, scope="tickets:read")
    async def on_leave(self, sid, data: TicketRef):
        ticket_id = data.ticket_id
        await self.leave_room(sid, f"ticket:{ticket_id}")
        viewer = self.viewers.get(sid)
        if viewer is not None and ticket_id in viewer.tickets:
            viewer.tickets.discard(ticket_id)
            await self._announce(sid, viewer, ticket_id, "left")
        return {"ok": True}

    @checked(ConsolePresence, scope="tickets:write")
    async def on_presence(self, sid, data: ConsolePresence):
        """This agent is viewing or replying: told to the others who have the ticket open."""
        viewer = self.viewers.get(sid)
        if viewer is None or data.ticket_id not in viewer.tickets:
            return error("not_joined", "join the ticket first")
        await self._announce(sid, viewer, data.ticket_id, data.state)
        return {"ok": True}

    @checked(ConsoleTyping, scope="tickets:write")  # it shows in the customer's widget
    async def on_typing(self, sid, data: ConsoleTyping):
        """An agent typing: shown in the customer's widget when the ticket is a web chat."""
        if (viewer := self.viewers.get(sid)) is not None:
            viewer.active = True
        async with self.app.state.db.read() as session:
            conversation = await events.conversation_of(session, data.ticket_id)
        if conversation is not None:
            typing = {"type": "typing", "author_kind": "agent", "typing": data.typing}
            await self.realtime.to_widget(conversation, typing)
        return {"ok": True}


class Realtime:
    def __init__(self, app) -> None:
        settings = app.state.settings
        manager = None
        if settings.redis_url:
            manager = ResilientRedisManager(settings.redis_url, channel="autocrm-socketio")
        self.app = app
        self.secret = settings.secret
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins="*",  # each widget checks its own allowed origins on connect
            max_http_buffer_size=200_000,
        )
        self.console_sids: set[str] = set()
        self.claims = events.Claims()  # event ids already pushed (see realtime_events)
        self.live = LivePush(self)  # inbound messages, right after their commit
        self.presence = Presence(app)  # agents online / away / offline
        self.waiting = WaitingPush(app, self)  # widget customers' place in the queue
        self.credentials = CredentialWatch(app, self.sio)  # revoked sessions lose their sockets
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

    async def to_widget(self, conversation: str, data: dict) -> None:
        await self.sio.emit("event", data, room=conversation, namespace="/widget")

    async def on_event(self, event: dict) -> None:
        """The dispatcher's listener: called once per committed event, in order."""
        if not self.claims.claim(event["id"]):
            return  # pushed right after its commit already (gateway/realtime_live.py)
        await self.to_console(event["ticket_id"], "event", event)
        if (alert := events.alert_for(event)) is not None:
            await self.sio.emit("alert", alert[1], room=alert[0], namespace="/console")
        if not events.for_widget(event):
            return  # most events need no database read at all
        async with self.app.state.db.read() as session:
            routed = await events.live_widget_event(session, event, self.file_url)
        if routed is not None:
            await self.to_widget(*routed)


def install(app) -> None:
    """Serve socket.io at /socket.io ahead of the HTTP middleware (sessions, body limit, routing):
    a socket stays open for hours, and every layer it passed keeps a suspended frame for it
    (~5 of the ~50 KB an idle socket costs) and wraps every packet it sends. Nothing there is
    for sockets: engine.io limits its own packet size, the console reads its cookie itself."""
    realtime = Realtime(app)
    app.state.realtime = realtime
    app.add_middleware(_sockets_first, sio=realtime.sio)


def _sockets_first(http_app, *, sio):
    # socket.io's ASGI app takes its own paths and hands the rest (and lifespan) to the app.
    return socketio.ASGIApp(sio, other_asgi_app=http_app, socketio_path="socket.io")


async def startup(app) -> None:
    app.state.dispatcher.listeners.append(app.state.realtime.on_event)
    app.state.dispatcher.listeners.append(app.state.realtime.waiting.on_event)
    app.state.ingest.listeners.append(app.state.realtime.live.committed)
    app.state.realtime.presence.start()
    app.state.realtime.credentials.start()


async def shutdown(app) -> None:
    realtime = app.state.realtime
    for sid in list(realtime.console_sids):
        await realtime.sio.disconnect(sid, namespace="/console")
    await realtime.presence.stop()
    await realtime.credentials.stop()
