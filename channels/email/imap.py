"""IMAP poller: fetch unseen mail in batches, hand each to a durable sink, then mark it \\Seen.

Accept = durable: a message is flagged (or moved) only after `sink` returned, so a crash at any
point leaves it unseen and it is fetched again; the sink is idempotent on the Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aioimaplib

from channels.email.imap_client import (
    ImapError,
    ImapSettings,
    TlsMode,
    connect,
    fetch_bodies,
    fetch_limited,
    mark_handled,
    new_uids,
    select,
)
from channels.email.parse import SizeLimits, parse_email
from store.messages import InboundMessage

__all__ = ["ImapError", "ImapPoller", "ImapSettings", "MailboxCursor", "PollResult", "TlsMode"]

log = logging.getLogger(__name__)

Sink = Callable[[InboundMessage], Awaitable[None]]
CursorSaver = Callable[["MailboxCursor"], Awaitable[None]]


@dataclass
class MailboxCursor:
    """What the caller persists per mailbox: every UID <= last_uid was committed by the sink."""

    uidvalidity: int | None = None
    last_uid: int = 0


@dataclass
class PollResult:
    delivered: int = 0
    failed: int = 0
    uidvalidity_reset: bool = False


class ImapPoller:
    """Poll one mailbox; `run()` loops with IDLE (or a poll interval) and reconnects on errors."""

    def __init__(
        self,
        settings: ImapSettings,
        sink: Sink,
        *,
        cursor: MailboxCursor | None = None,
        save_cursor: CursorSaver | None = None,
        max_backoff: float = 60.0,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.cursor = cursor or MailboxCursor()
        self.save_cursor = save_cursor  # persists the cursor (e.g. in the account's state)
        self._saved = (self.cursor.uidvalidity, self.cursor.last_uid)
        self.max_backoff = max_backoff
        self._client: aioimaplib.IMAP4 | None = None
        self._lost = asyncio.Event()  # aioimaplib does not fail a pending IDLE on disconnect
        # UIDs above the cursor already handled (the cursor waits below a failed one): not
        # fetched again by this process; after a restart they are, and ingest dedups them.
        self._handled: set[int] = set()

    async def poll_once(self) -> PollResult:
        """Deliver every new message above the cursor; returns counts. Raises on I/O errors."""
        result = PollResult()
        client = await self._ensure_selected(result)
        found = await new_uids(client, self.cursor.last_uid)
        uids = [u for u in found if u not in self._handled]
        first_failed: int | None = None  # the cursor stops below it, so it is searched again
        for start in range(0, len(uids), self.settings.batch_size):
            batch = uids[start : start + self.settings.batch_size]
            handled, failed = await self._deliver(await self._fetch(client, batch))
            await mark_handled(client, handled, self.settings)
            result.delivered += len(handled)
            result.failed += len(failed)
            self._handled.update(handled)
            if first_failed is None and failed:
                first_failed = min(failed)
                self.cursor.last_uid = max(self.cursor.last_uid, first_failed - 1)
            elif first_failed is None:
                self.cursor.last_uid = max(batch)
            await self._save_cursor()
        if first_failed is None and found:  # all of them handled, now or by an earlier poll
            self.cursor.last_uid = max(self.cursor.last_uid, found[-1])
        self._handled = {u for u in self._handled if u > self.cursor.last_uid}
        await self._save_cursor()  # a new UIDVALIDITY is worth keeping even with no mail
        return result

    async def _save_cursor(self) -> None:
        # Saved after the messages were committed and flagged: a crash before this only
        # means fetching them again, which the idempotent sink absorbs.
        current = (self.cursor.uidvalidity, self.cursor.last_uid)
        if self.save_cursor is not None and current != self._saved:
            await self.save_cursor(self.cursor)
            self._saved = current

    async def _fetch(self, client, uids: list[int]) -> list[tuple[int, bytes, int | None]]:
        cap = self.settings.max_message_bytes
        if cap is None:
            return [(uid, raw, None) for uid, raw in await fetch_bodies(client, uids)]
        return await fetch_limited(client, uids, cap)

    async def _deliver(
        self, messages: list[tuple[int, bytes, int | None]]
    ) -> tuple[list[int], list[int]]:
        parsed = [(uid, self._parse(uid, raw, cut_at)) for uid, raw, cut_at in messages]
        # The batch goes to the sink at once (in UID order), so a group-committing sink can
        # store it in one transaction; each message still succeeds or fails on its own.
        outcomes = await asyncio.gather(
            *(self.sink(inbound) for _, inbound in parsed), return_exceptions=True
        )
        handled: list[int] = []
        failed: list[int] = []
        for (uid, inbound), outcome in zip(parsed, outcomes, strict=True):
            if isinstance(outcome, BaseException):  # it stays unseen and is fetched again
                log.error(
                    "sink failed for uid %s (%s); left unseen",
                    uid,
                    inbound.external_id,
                    exc_info=outcome,
                )
                failed.append(uid)
            else:
                handled.append(uid)
        return handled, failed

    def _parse(self, uid: int, raw: bytes, cut_at: int | None) -> InboundMessage:
        limits = SizeLimits(self.settings.max_attachment_bytes, cut_at)
        inbound = parse_email(raw, our_addresses=self.settings.our_addresses, limits=limits)
        inbound.account_id = self.settings.account_id
        inbound.meta["imap_uid"] = uid
        return inbound

    async def _ensure_selected(self, result: PollResult) -> aioimaplib.IMAP4:
        client = self._client
        if client is not None and client.get_state() == "SELECTED" and not self._lost.is_set():
            return client
        await self.close()
        lost = self._lost  # fresh after close(); only this connection's loss sets it
        self._client = await connect(self.settings, on_lost=lambda _exc: lost.set())
        uidvalidity = await select(self._client, self.settings.folder)
        if self.cursor.uidvalidity not in (None, uidvalidity):
            # UIDs of the old generation mean nothing now: start over; the sink dedups.
            log.warning("UIDVALIDITY of %s changed; rescanning", self.settings.folder)
            self.cursor.last_uid = 0
            self._handled.clear()
            result.uidvalidity_reset = True
        self.cursor.uidvalidity = uidvalidity
        return self._client

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Poll until `stop` is set; never dies on an error, backs off and reconnects instead."""
        stop = stop or asyncio.Event()
        failures = 0
        while not stop.is_set():
            try:
                if self._lost.is_set():
                    await self.close()
                await self._until_lost(self.poll_once())
                failures = 0
                await self._until_lost(self._wait_for_mail(stop))
            except Exception as exc:  # network, server or protocol trouble: reconnect later
                failures += 1
                delay = min(self.max_backoff, 2 ** min(failures, 10)) * random.uniform(0.5, 1.0)
                log.warning("IMAP %s: %s; reconnecting in %.1fs", self.settings.host, exc, delay)
                await self.close()
                await _sleep_or_stop(stop, delay)
        await self.close()

    async def _until_lost(self, work: Awaitable) -> None:
        # aioimaplib leaves commands in flight hanging until their timeout when the socket
        # dies, so race the work against the connection-lost signal.
        lost_signal = self._lost
        task = asyncio.ensure_future(work)
        lost = asyncio.ensure_future(lost_signal.wait())
        try:
            await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
        if not task.done():
            task.cancel()
            raise ConnectionError("IMAP connection lost")
        task.result()

    async def _wait_for_mail(self, stop: asyncio.Event) -> None:
        client = self._client
        if client is None or not client.has_capability("IDLE"):
            await _sleep_or_stop(stop, self.settings.poll_interval)
            return
        idle = await client.idle_start(timeout=self.settings.idle_timeout)
        push = asyncio.ensure_future(client.wait_server_push(self.settings.idle_timeout + 5))
        stopped = asyncio.ensure_future(stop.wait())
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            await asyncio.wait({push, stopped, idle, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (push, stopped, lost):
                waiter.cancel()
        if self._lost.is_set():
            idle.cancel()
            raise ConnectionError("IMAP connection lost while idling")
        if client.has_pending_idle():
            client.idle_done()
        await asyncio.wait_for(idle, self.settings.timeout)

    async def close(self) -> None:
        client, self._client = self._client, None
        was_lost, self._lost = self._lost.is_set(), asyncio.Event()
        if client is None or was_lost:  # nothing to log out of
            return
        try:
            await asyncio.wait_for(client.logout(), 5)
        except Exception:  # the connection may already be gone; closing must not fail
            log.debug("IMAP logout failed", exc_info=True)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
