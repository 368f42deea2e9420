"""The /widget socket.io namespace: customers connect, write, type and leave an email.

Connect checks the widget key, the embedding origin and any host-site identity claim, then
(after the handler returns, as the client expects) sends `session` with the events it missed.
A message is acknowledged only once committed; its client id makes a resend harmless.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import socketio
from pydantic import BaseModel, Field, ValidationError

from channels.base import VerifyError
from channels.webchat.config import WidgetConfig
from channels.webchat.limits import NAME
from channels.webchat.offline import offline_message
from channels.webchat.parse import parse
from channels.webchat.verify import Visitor, sign_visitor, verify_user
from gateway import principal as principals
from gateway import realtime_events as events
from gateway import throttle
from gateway.out_of_hours import hours_status
from gateway.realtime_widget_waiting import waiting_of
from gateway.socket_payloads import WidgetContact, WidgetTyping, checked, error
from gateway.widget_routes import uploaded_attachments
from store.agent.service import bot_enabled
from store.assignment.presence import agents_online
from store.config import accounts
from store.contacts import service as contacts
from store.db import utcnow
from store.messages import Identity

Refused = socketio.exceptions.ConnectionRefusedError


class MessageIn(BaseModel):
    client_id: str = Field(min_length=1, max_length=100)
    text: str = Field(default="", max_length=100_000)
    attachment_ids: list[str] = Field(default_factory=list, max_length=10)


@dataclass(slots=True)
class Connection:
    """What this process remembers about one socket (sockets are pinned to their process)."""

    visitor: Visitor
    config: WidgetConfig
    tokens: float
    refilled: float = field(default_factory=time.monotonic)
    ticket_id: int | None = None

    def take(self) -> bool:
        """Token bucket: a burst of `rate_burst`, refilled at `rate_per_minute`."""
        now = time.monotonic()
        rate = self.config.rate_per_minute / 60
        self.tokens = min(self.config.rate_burst, self.tokens + (now - self.refilled) * rate)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def sender_of(visitor: Visitor) -> Identity:
    # As channels/webchat/parse.py names the sender of the visitor's messages.
    return Identity("user", visitor.user_id) if visitor.user_id else Identity("widget", visitor.id)


class WidgetNamespace(socketio.AsyncNamespace):
    def __init__(self, app, realtime) -> None:
        super().__init__("/widget")
        self.app = app
        self.realtime = realtime
        self.connections: dict[str, Connection] = {}
        self._configs: dict[int, tuple[dict, WidgetConfig]] = {}

    @property
    def secret(self) -> str:
        return self.app.state.settings.secret

    async def _account(self, widget_key) -> tuple[int, WidgetConfig]:
        async with self.app.state.db.read() as session:
            row = await accounts.get_by_address(session, channel=NAME, address=str(widget_key))
            if row is None or not row.active:
                raise Refused("This chat is not enabled for this site.")
            account_id, raw = row.id, {**row.config, **row.secrets}
        # One config object per widget, shared by its sockets (thousands may be open at once);
        # rebuilt when an admin changes the account.
        known = self._configs.get(account_id)
        if known is None or known[0] != raw:
            known = self._configs[account_id] = (raw, WidgetConfig.model_validate(raw))
        return account_id, known[1]

    async def on_connect(self, sid, environ, auth):
        auth = auth if isinstance(auth, dict) else {}
        account_id, config = await self._account(auth.get("widget_key"))
        origin = environ.get("HTTP_ORIGIN")
        if config.allowed_origins and origin not in config.allowed_origins:
            raise Refused("This site is not allowed to use this chat.")
        secret = config.secret.get_secret_value() if config.secret else None
        try:
            user_id = verify_user(secret, auth.get("user_id"), auth.get("user_hash"))
        except VerifyError as exc:
            raise Refused(f"Your identity could not be verified ({exc}).") from None
        visitor, is_new = principals.widget_visitor(
            self.secret, auth.get("visitor_token"), account_id=account_id, user_id=user_id
        )
        if is_new:
            await self._count_new_chat(environ, config)
        self.connections[sid] = Connection(visitor, config, tokens=config.rate_burst)
        await self.enter_room(sid, visitor.conversation_id)
        last_seq = auth.get("last_seq")
        last_seq = last_seq if isinstance(last_seq, int) and last_seq > 0 else 0
        asyncio.get_running_loop().create_task(self._send_session(sid, last_seq))

    async def _count_new_chat(self, environ, config: WidgetConfig) -> None:
        address = throttle.client_address(environ.get("asgi.scope") or {})
        hits = config.new_chats_per_address
        try:
            await throttle.new_chat(self.app.state.db, address=address, hits=hits)
        except throttle.Throttled as exc:
            minutes = -(-exc.retry_after // 60)
            message = f"Too many new chats from your network; try again in {minutes} min."
            raise Refused(message) from None

    async def _send_session(self, sid: str, last_seq: int) -> None:
        conn = self.connections.get(sid)
        if conn is None:
            return
        conversation = conn.visitor.conversation_id
        now = utcnow()
        async with self.app.state.db.read() as session:
            history = await events.replay(session, conversation, last_seq, self.realtime.file_url)
            conn.ticket_id = await events.latest_ticket(session, conversation)
            hours = await hours_status(session, channel=NAME, now=now)
            waiting = await waiting_of(session, conn.ticket_id, now)
            staffed = await self._staffed(session, hours, now)
        payload = {
            "visitor_token": sign_visitor(self.secret, conn.visitor),
            "conversation_id": conversation,
            # Someone answers a new message now: the bot, or an agent of the channel's team
            # online within its hours. False: the widget offers its email form at once.
            "agents_online": staffed,
            # Where the wait for a human stands (gateway/realtime_widget_waiting.py).
            "waiting": waiting,
            # The offline form says when we open again (null while open, or not within 2 years).
            "open_now": hours.open_now,
            "next_open": hours.next_open.isoformat() if hours.next_open else None,
            "history": history,
        }
        await self.emit("session", payload, to=sid)

    @staticmethod
    async def _staffed(session, hours, now) -> bool:
        if await bot_enabled(session):
            return True
        return hours.open_now and await agents_online(session, now=now, team_id=hours.team_id) > 0

    def on_disconnect(self, sid, reason=None):
        self.connections.pop(sid, None)

    async def on_message(self, sid, data=None, *_ignored):
        conn = self.connections.get(sid)
        checked = self._check(conn, data)
        if isinstance(checked, MessageIn):
            try:
                return await self._commit(conn, checked)
            except ValueError as exc:
                checked = error("invalid_attachment", str(exc))
        await self.emit("error", checked["error"], to=sid)
        return checked

    def _check(self, conn: Connection | None, data) -> MessageIn | dict:
        """The message, or the refusal to answer with."""
        if conn is None:
            return error("not_connected", "Reconnect and try again.")
        try:
            message = MessageIn.model_validate(data)
        except ValidationError:
            return error("invalid", "A message needs a client_id and some text.")
        if len(message.text) > conn.config.max_text:
            limit = conn.config.max_text
            return error("too_long", f"Messages can be at most {limit} characters long.")
        if not message.text.strip() and not message.attachment_ids:
            return error("empty", "Write something or attach a file.")
        if not conn.take():
            return error("rate_limited", "You are sending messages too fast; wait a moment.")
        return message

    async def _commit(self, conn: Connection, message: MessageIn) -> dict:
        attachments = uploaded_attachments(self.secret, conn.visitor, message.attachment_ids)
        inbound = parse(conn.visitor, message.client_id, message.text, attachments)
        done = await self.app.state.ingest.submit(inbound)  # resolves after the commit
        conn.ticket_id = done.ticket_id  # the room hears of it too (gateway/realtime_live.py)
        url = self.realtime.file_url
        body = events.message_json(done.message, author_name=None, attachment_url=url)
        return {"ok": True, "message": body, "seq": done.event_id}

    @checked(WidgetTyping)
    async def on_typing(self, sid, data: WidgetTyping):
        conn = self.connections.get(sid)
        if conn is None or conn.ticket_id is None:
            return {"ok": True}  # nobody to tell yet: the conversation has no ticket
        typing = {
            "type": "typing",
            "ticket_id": conn.ticket_id,
            "author_kind": "customer",
            "typing": data.typing,
        }
        await self.realtime.to_console(conn.ticket_id, "event", typing)
        return {"ok": True}

    @checked(WidgetContact)
    async def on_contact(self, sid, data: WidgetContact):
        conn = self.connections.get(sid)
        if conn is None:
            return error("not_connected", "Reconnect and try again.")
        async with self.app.state.db.uow() as session:
            await contacts.note_email(
                session, identity=sender_of(conn.visitor), email=data.email.strip(), name=data.name
            )
            mailboxes = await accounts.list_accounts(session, channel="email", active_only=True)
            mailbox = mailboxes[0].id if mailboxes else None
        if data.message and data.message.strip():
            # Nobody can chat now: the message becomes an email ticket, answered by email.
            inbound = offline_message(
                conn.visitor,
                client_id=data.client_id or str(uuid.uuid4()),
                email=data.email,
                name=data.name,
                text=data.message.strip(),
                account_id=mailbox,
            )
            done = await self.app.state.ingest.submit(inbound)
            return {"ok": True, "ticket_id": done.ticket_id}
        return {"ok": True}
