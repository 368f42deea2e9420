"""Inbound messages reach the sockets right after their commit, not when the dispatcher next
passes.

The dispatcher delivers every event too, but only after a write transaction of its own, queued
behind every other writer (ingest, deliveries); under load that is seconds. Here the ingest
writer hands over each batch it just committed, with the event rows it wrote (ticket.created,
message.received), so nothing is read back: they are claimed at once (Realtime.claims, before
the dispatcher can pass) and one task emits them, in order, to the console and, for a web chat
message, to the conversation's widgets. The dispatcher stays the durable fallback and delivers
what is not claimed here: a reopened ticket's messages (the reopening's audited events are
known only to the table) and anything whose push failed.
"""

from __future__ import annotations

import asyncio
import logging

from gateway import realtime_events as events
from store.outbox.deliveries import event_dict
from store.tickets.ingest import Ingested
from store.tickets.ingest_writer import Committed

log = logging.getLogger(__name__)


class LivePush:
    def __init__(self, realtime) -> None:
        self.realtime = realtime
        self._pending: list[tuple[str, Ingested]] = []
        self._task: asyncio.Task | None = None

    def committed(self, batch: Committed) -> None:
        """The ingest writer's listener: runs right after the commit, before anything else."""
        claims = self.realtime.claims
        for inbound, done in batch:
            if done.events:  # None: a duplicate (pushed the first time) or a reopening
                for event in done.events:
                    claims.claim(event["id"])  # a new id: always ours
                self._pending.append((inbound.thread_key, done))
        if self._pending and (self._task is None or self._task.done()):
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
                for _, done in batch:
                    for event in done.events:
                        self.realtime.claims.release(event["id"])

    async def _push(self, batch: list[tuple[str, Ingested]]) -> None:
        # Every emit waits a turn of the event loop (python-socketio sends from tasks it
        # awaits), and under load a turn is milliseconds: emit the batch at once, not in turn.
        # Packets still leave in order, since the tasks run in the order they were made.
        realtime = self.realtime
        sends = []
        for conversation, done in batch:
            for row in done.events:
                event = event_dict(row)
                sends.append(realtime.to_console(event["ticket_id"], "event", event))
                if events.for_widget(event):
                    body = events.widget_event(event["id"], done.message, "", realtime.file_url)
                    sends.append(realtime.to_widget(conversation, body))
        await asyncio.gather(*sends)
