"""Committed widget messages reach the sockets right after their commit, not when the
dispatcher next passes.

The dispatcher delivers every event too, but only after a write transaction of its own, queued
behind every other writer (ingest, deliveries); under load that is seconds. Here the widget
handler hands over what it just committed; one task emits it to the conversation's other tabs at
once and, with one read per batch (not per message), to the console with the events the same
commit wrote before it (ticket.created, a reopening), in order. The dispatcher stays the durable
fallback and skips what was pushed here (Realtime.claims).
"""

from __future__ import annotations

import asyncio
import logging

from gateway import realtime_events as events
from gateway.ingest_writer import Ingested

log = logging.getLogger(__name__)


class LivePush:
    def __init__(self, app, realtime) -> None:
        self.app = app
        self.realtime = realtime
        self._pending: list[tuple[str, Ingested, dict]] = []
        self._task: asyncio.Task | None = None

    def add(self, conversation: str, done: Ingested, body: dict) -> None:
        """Push a message committed just now (its event already claimed by the caller)."""
        self._pending.append((conversation, done, body))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._push(batch)
            except Exception:
                log.exception(
                    "live push of %d messages failed; the dispatcher delivers them", len(batch)
                )
                for _, done, _ in batch:
                    self.realtime.claims.release(done.event_id)

    async def _push(self, batch: list[tuple[str, Ingested, dict]]) -> None:
        # Every emit waits a turn of the event loop (python-socketio sends from tasks it
        # awaits), and under load a turn is milliseconds: emit the batch at once, not in turn.
        # Packets still leave in order, since the tasks run in the order they were made.
        sio = self.realtime.sio
        await asyncio.gather(
            *(
                sio.emit(
                    "event",
                    {"seq": done.event_id, "type": "message", "message": body},
                    room=conversation,
                    namespace="/widget",
                )
                for conversation, done, body in batch
            )
        )
        ours = {done.event_id for _, done, _ in batch}
        tickets = {done.ticket_id for _, done, _ in batch}
        async with self.app.state.db.read() as session:
            committed = await events.committed_events(session, tickets, ours)
        sends = []
        for event in committed:
            if event["id"] in ours:
                sends.append(self.realtime.to_console(event["ticket_id"], "event", event))
            else:  # written before it and not dispatched yet: what the dispatcher would do
                sends.append(self.realtime.on_event(event))
        await asyncio.gather(*sends)
