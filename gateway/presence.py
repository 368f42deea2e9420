"""Agents' presence as the console sockets of this gateway see it, and the sweep it runs.

A signed-in agent's console connecting makes them online; `heartbeat` keeps them so; their
last console on this gateway closing sets their heartbeat back so they are offline after the
grace period unless a console elsewhere beats meanwhile. The state lives in the database
(store/staff/presence.py), so every gateway sees the same; every gateway also sweeps it every
few seconds (stale heartbeats -> offline, idle -> away), and the conditional updates there
record each change once. A sweep rather than one delayed job per disconnect: it also catches
agents of a gateway that crashed, which left nothing behind to schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError

from store.actor import Actor
from store.assignment import presence
from store.assignment.settings import get_settings, heartbeat_every
from store.db import utcnow

log = logging.getLogger(__name__)
SWEEP_EVERY = 5.0  # seconds; grace and idle times are minutes or tens of seconds


class Heartbeat(BaseModel):
    """console `heartbeat`: the console is open; `active`: someone used it since the last."""

    model_config = ConfigDict(extra="ignore")
    active: StrictBool = False


class PresenceSet(BaseModel):
    """console `presence_set`: the agent's own toggle."""

    model_config = ConfigDict(extra="ignore")
    state: Literal["online", "away", "offline"]


def _invalid(exc: ValidationError) -> dict:
    # The acks' error shape, as the console's other events answer (gateway/socket_payloads).
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "the payload"
    return {"ok": False, "error": {"code": "invalid", "message": f"{where}: {first['msg']}"}}


class Presence:
    def __init__(self, app) -> None:
        self.app = app
        self.clock: Callable[[], datetime] = utcnow  # tests inject their own
        self.sockets: dict[int, set[str]] = {}  # user id -> their console sockets here
        self._task: asyncio.Task | None = None

    @property
    def db(self):
        return self.app.state.db

    async def connected(self, sid: str, actor: Actor) -> dict:
        """A console opened; what its script needs to keep the agent present."""
        self.sockets.setdefault(actor.id, set()).add(sid)
        async with self.db.uow() as session:
            user = await presence.connected(
                session, user_id=actor.id, actor=actor, now=self.clock()
            )
            conf = await get_settings(session)
        return {
            "user_id": user.id,
            "presence": user.presence,
            "heartbeat_every": heartbeat_every(conf),
            "idle_away_seconds": conf.idle_away_minutes * 60,
        }

    async def disconnected(self, sid: str, user_id: int) -> None:
        sockets = self.sockets.get(user_id, set())
        sockets.discard(sid)
        if sockets:
            return  # another console of theirs is open here
        self.sockets.pop(user_id, None)
        async with self.db.uow() as session:
            await presence.disconnected(session, user_id=user_id, now=self.clock())

    nobody = {
        "ok": False,
        "error": {"code": "forbidden", "message": "only a signed-in agent has a presence"},
    }

    async def heartbeat(self, user_id: int, data, *, active: bool = False) -> dict:
        """The ack: {ok, presence} (the presence that counts now)."""
        try:
            beat = Heartbeat.model_validate(data if data is not None else {})
        except ValidationError as exc:
            return _invalid(exc)
        async with self.db.uow() as session:
            state = await presence.heartbeat(
                session, user_id=user_id, active=active or beat.active, now=self.clock()
            )
        return {"ok": True, "presence": state}

    async def set(self, actor: Actor, data) -> dict:
        try:
            wanted = PresenceSet.model_validate(data if data is not None else {})
        except ValidationError as exc:
            return _invalid(exc)
        async with self.db.uow() as session:
            user = await presence.set_presence(
                session, user_id=actor.id, state=wanted.state, actor=actor, now=self.clock()
            )
        return {"ok": True, "presence": user.presence}

    async def sweep(self) -> list[tuple[int, str]]:
        async with self.db.uow() as session:
            return await presence.sweep(session, now=self.clock())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            try:
                await self.sweep()
            except Exception:
                log.exception("presence sweep failed; trying again in %.0f s", SWEEP_EVERY)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="presence-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _now(request: Request) -> datetime:
    return request.app.state.realtime.presence.clock()


Now = Annotated[datetime, Depends(_now)]  # the presence clock, for routes (tests inject one)
