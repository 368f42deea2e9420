"""An in-memory double of the gateway's widget protocol (socket.io /widget, uploads)."""

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import socketio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

UPLOAD_LIMIT = 10 * 1024 * 1024


@dataclass
class Conversation:
    id: str
    token: str
    events: list[dict] = field(default_factory=list)
    by_client_id: dict[str, dict] = field(default_factory=dict)

    def append(self, **event) -> dict:
        event["seq"] = len(self.events) + 1
        self.events.append(event)
        return event


class WidgetDouble:
    """Keeps conversations in memory and lets a test act as the agent side."""

    def __init__(self, widget_js: Path, widget_key: str = "pk_test_widget") -> None:
        self.widget_js = widget_js
        self.widget_key = widget_key
        self.agents_online = True
        self.conversations: dict[str, Conversation] = {}  # by visitor token
        self.received: list[dict] = []  # every `message` payload, resends included
        self.connects: list[dict] = []  # the auth of every connect
        self.typing: list[bool] = []
        self.contacts: list[dict] = []
        self.uploads: dict[str, tuple[dict, bytes]] = {}
        self.reject_next: dict | None = None  # answer the next message with this error
        # Cut the line on the next message: "before_commit" loses it, "after_commit" loses the ack.
        self.drop_next: str | None = None
        self.sids: dict[str, str] = {}  # sid -> visitor token
        self.server = None  # the LoopbackServer, set by the fixture
        self._ids = itertools.count(1)
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
        self.sio.register_namespace(WidgetNamespace(self))
        self.app = socketio.ASGIApp(self.sio, other_asgi_app=self._http_app())

    def conversation_for(self, token: str | None) -> Conversation:
        if token in self.conversations:
            return self.conversations[token]
        conversation = Conversation(id=f"conv-{uuid.uuid4().hex[:8]}", token=uuid.uuid4().hex)
        self.conversations[conversation.token] = conversation
        return conversation

    def only_conversation(self) -> Conversation:
        (conversation,) = self.conversations.values()
        return conversation

    def new_message(self, *, direction: str, author_kind: str, text: str, **extra) -> dict:
        return {
            "id": f"msg-{next(self._ids)}",
            "direction": direction,
            "author_kind": author_kind,
            "text": text,
            "attachments": [],
            "created_at": datetime.now(UTC).isoformat(),
            **extra,
        }

    async def publish(self, conversation: Conversation, **event) -> dict:
        event = conversation.append(**event)
        await self.sio.emit("event", event, room=conversation.id, namespace="/widget")
        return event

    async def agent_says(self, text: str, author_name: str = "Ana", kind: str = "agent") -> dict:
        conversation = self.only_conversation()
        message = self.new_message(
            direction="out", author_kind=kind, text=text, author_name=author_name
        )
        return await self.publish(conversation, type="message", message=message)

    async def agent_typing(self, typing: bool) -> None:
        await self.publish(
            self.only_conversation(), type="typing", author_kind="agent", typing=typing
        )

    async def send_error(self, code: str, message: str) -> None:
        room = self.only_conversation().id
        await self.sio.emit(
            "error", {"code": code, "message": message}, room=room, namespace="/widget"
        )

    async def outage(self, while_down=None) -> None:
        """Restart the server, keeping memory: clients lose their sockets and reconnect."""
        await self.server.stop()
        if while_down is not None:
            await while_down()
        await self.server.start()

    def _http_app(self) -> Starlette:
        routes = [
            Route("/widget.js", lambda request: FileResponse(self.widget_js)),
            Route("/widget/api/uploads", self._upload, methods=["POST"]),
            Route("/widget/api/uploads/{upload_id}", self._download),
        ]
        cors = Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["*"],
            allow_headers=["X-Visitor-Token"],
        )
        return Starlette(routes=routes, middleware=[cors])

    async def _upload(self, request: Request) -> JSONResponse:
        if request.headers.get("x-visitor-token") not in self.conversations:
            return JSONResponse({"detail": "unknown visitor"}, status_code=403)
        form = await request.form()
        upload = form["file"]
        data = await upload.read()
        if len(data) > UPLOAD_LIMIT:
            return JSONResponse({"detail": "file too large"}, status_code=413)
        upload_id = f"up-{next(self._ids)}"
        meta = {
            "id": upload_id,
            "filename": upload.filename,
            "url": f"/widget/api/uploads/{upload_id}",
            "content_type": upload.content_type,
            "size": len(data),
        }
        self.uploads[upload_id] = (meta, data)
        return JSONResponse(meta)

    async def _download(self, request: Request) -> Response:
        meta, data = self.uploads[request.path_params["upload_id"]]
        return Response(data, media_type=meta["content_type"])


class WidgetNamespace(socketio.AsyncNamespace):
    """The /widget protocol, minimally: session, message (+ack, dedupe), typing, contact."""

    def __init__(self, double: WidgetDouble) -> None:
        super().__init__("/widget")
        self.double = double

    async def on_connect(self, sid, environ, auth):
        auth = auth or {}
        self.double.connects.append(dict(auth))
        if auth.get("widget_key") != self.double.widget_key:
            raise socketio.exceptions.ConnectionRefusedError(
                "This chat is not enabled for this site."
            )
        conversation = self.double.conversation_for(auth.get("visitor_token"))
        self.double.sids[sid] = conversation.token
        await self.enter_room(sid, conversation.id)
        # Sent once the connect handler has returned and the client is connected.
        asyncio.get_running_loop().create_task(self._send_session(sid, conversation, auth))

    async def _send_session(self, sid, conversation: Conversation, auth: dict) -> None:
        last_seq = int(auth.get("last_seq") or 0)
        session = {
            "visitor_token": conversation.token,
            "conversation_id": conversation.id,
            "agents_online": self.double.agents_online,
            "history": [event for event in conversation.events if event["seq"] > last_seq],
        }
        await self.emit("session", session, to=sid)

    def on_disconnect(self, sid, reason=None):
        self.double.sids.pop(sid, None)

    async def on_message(self, sid, data):
        self.double.received.append(data)
        if self.double.reject_next:
            error, self.double.reject_next = self.double.reject_next, None
            return {"ok": False, "error": error}
        conversation = self.double.conversations[self.double.sids[sid]]
        event = conversation.by_client_id.get(data["client_id"])
        drop, self.double.drop_next = self.double.drop_next, None
        if event is None:  # a resend of a committed message is answered, not stored again
            event = await self._commit(conversation, data, broadcast=drop is None)
        if drop == "before_commit":
            conversation.events.remove(event)
            del conversation.by_client_id[data["client_id"]]
        if drop:
            asyncio.get_running_loop().create_task(self.double.outage())
            await self.double.server.stopped.wait()
            return None
        return {"ok": True, "message": event["message"], "seq": event["seq"]}

    async def _commit(self, conversation: Conversation, data: dict, broadcast: bool) -> dict:
        attachments = [self.double.uploads[i][0] for i in data.get("attachment_ids", [])]
        message = self.double.new_message(
            direction="in",
            author_kind="customer",
            text=data["text"],
            client_id=data["client_id"],
            attachments=attachments,
        )
        if broadcast:
            event = await self.double.publish(conversation, type="message", message=message)
        else:
            event = conversation.append(type="message", message=message)
        conversation.by_client_id[data["client_id"]] = event
        return event

    def on_typing(self, sid, data):
        self.double.typing.append(bool(data.get("typing")))

    def on_contact(self, sid, data):
        if "@" not in (data.get("email") or ""):
            return {"ok": False, "error": {"code": "invalid", "message": "That email looks wrong."}}
        self.double.contacts.append(data)
        return {"ok": True}
