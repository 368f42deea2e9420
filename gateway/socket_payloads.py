"""What each socket.io event may carry, checked at the edge (pydantic), for both namespaces.

A handler wrapped in `@checked(Model, scope=...)` receives the validated model; a malformed
payload (missing, a number, a list, a field of the wrong type) or a caller without the scope
gets an ack that says what is wrong, `{"ok": false, "error": {"code", "message"}}`, instead of
a traceback in the server log and no answer at all.
"""

from __future__ import annotations

import functools
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

TicketId = Annotated[int, Field(strict=True, ge=1, le=2**31 - 1)]


class Payload(BaseModel):
    # Fields a newer client adds are ignored; the ones named here must be right.
    model_config = ConfigDict(extra="ignore")


class TicketRef(Payload):
    """console `join` / `leave`."""

    ticket_id: TicketId


class ConsolePresence(Payload):
    ticket_id: TicketId
    state: Literal["viewing", "replying", "left"]


class ConsoleTyping(Payload):
    ticket_id: TicketId
    typing: StrictBool = True


class WidgetTyping(Payload):
    typing: StrictBool = True


class WidgetContact(Payload):
    email: str = Field(min_length=3, max_length=300, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str | None = Field(default=None, max_length=200)
    # The offline form's message: a ticket answered by email (gateway/realtime_widget.py).
    message: str | None = Field(default=None, max_length=5000)
    client_id: str | None = Field(default=None, min_length=1, max_length=100)


def error(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


def describe(exc: ValidationError) -> str:
    """The first problem in words: which field, what is wrong."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first['msg']}" if where else f"the payload: {first['msg']}"


def checked(model: type[Payload], *, scope: str | None = None):
    """Validate the event's first argument as `model` (and, with `scope`, that the caller may
    do this: the namespace's `allows(sid, scope)`); answer an error ack otherwise."""

    def wrap(handler):
        @functools.wraps(handler)
        async def run(self, sid, data=None, *_ignored):
            try:
                payload = model.model_validate(data if data is not None else {})
            except ValidationError as exc:
                return error("invalid", describe(exc))
            if scope is not None and not self.allows(sid, scope):
                return error("forbidden", f"this needs the '{scope}' scope")
            return await handler(self, sid, payload)

        return run

    return wrap
