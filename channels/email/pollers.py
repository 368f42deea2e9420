"""One IMAP poller task per active mailbox, kept in step with the configured channel accounts.

The supervisor re-reads the accounts every `rescan_interval` seconds (or when woken), so a
mailbox added, changed, deactivated or deleted through the API or the CLI is picked up by a
running `autocrm serve`. Each poller's cursor (UIDVALIDITY + last UID) lives in the account's
`state`, so a restart resumes where the last committed message left off.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass

from channels.email.imap import ImapPoller, MailboxCursor
from channels.email.ingest import Submit, deliver
from channels.email.limits import NAME
from channels.email.mailbox import imap_settings
from store.config import accounts
from store.db import Database

log = logging.getLogger(__name__)
CURSOR_KEY = "imap"


@dataclass(frozen=True)
class _Account:
    id: int
    address: str
    config: dict
    secrets: dict
    state: dict


@dataclass
class _Running:
    poller: ImapPoller
    task: asyncio.Task
    stop: asyncio.Event
    fingerprint: str


class Mailboxes:
    def __init__(
        self,
        db: Database,
        submit: Submit,
        *,
        rescan_interval: float = 10.0,
        max_attachment_bytes: int | None = None,
    ):
        self.db = db
        self.max_attachment_bytes = max_attachment_bytes
        self.submit = submit  # read at every message, so it can be swapped (tests)
        self.rescan_interval = rescan_interval
        self.stop_grace = 5.0
        self.running: dict[int, _Running] = {}
        self._wake = asyncio.Event()
        self._syncing = asyncio.Lock()  # the loop and a caller (shutdown, tests) may both sync
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name="email-mailboxes")

    def rescan(self) -> None:
        """Look at the accounts now rather than at the next interval."""
        self._wake.set()

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        async with self._syncing:
            await asyncio.gather(*(self._stop_one(i) for i in list(self.running)))

    async def _supervise(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sync()
            except Exception:  # the database may be briefly away: keep the pollers we have
                log.exception("could not read the mailboxes; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.rescan_interval)
            self._wake.clear()

    async def sync(self) -> None:
        """Start, restart or stop pollers so that one runs per active mailbox."""
        async with self._syncing:
            await self._sync()

    async def _sync(self) -> None:
        async with self.db.read() as session:  # its rollback expires the rows: copy them
            rows = [
                _Account(row.id, row.address, dict(row.config), dict(row.secrets), dict(row.state))
                for row in await accounts.list_accounts(session, channel=NAME, active_only=True)
            ]
        wanted = {row.id: row for row in rows}
        ours = tuple(row.address for row in rows)
        for account_id, entry in list(self.running.items()):
            row = wanted.get(account_id)
            if entry.task.done() and not entry.task.cancelled() and entry.task.exception():
                log.error("poller of mailbox %s died", account_id, exc_info=entry.task.exception())
            if row is None or entry.task.done() or entry.fingerprint != _fingerprint(row):
                await self._stop_one(account_id)
        for account_id, row in wanted.items():
            if account_id not in self.running:
                self._start_one(row, ours)
            # from_self needs every address we send as, including mailboxes added later
            self.running[account_id].poller.settings.our_addresses = ours

    def _start_one(self, row: _Account, ours: tuple[str, ...]) -> None:
        settings = imap_settings({**row.config, **row.secrets}, row.id, ours)
        limit = self.max_attachment_bytes
        if limit is not None:
            # Room for one attachment at the limit (base64 adds a third) and the text.
            settings.max_attachment_bytes = limit
            settings.max_message_bytes = 2 * limit + 1_000_000
        saved = row.state.get(CURSOR_KEY) or {}
        cursor = MailboxCursor(saved.get("uidvalidity"), int(saved.get("last_uid") or 0))
        account_id = row.id

        async def sink(inbound) -> None:
            await deliver(self.db, self.submit, inbound)

        async def save_cursor(cursor: MailboxCursor) -> None:
            await self._save_cursor(account_id, cursor)

        poller = ImapPoller(settings, sink, cursor=cursor, save_cursor=save_cursor)
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop), name=f"imap-{row.address}")
        self.running[account_id] = _Running(poller, task, stop, _fingerprint(row))
        log.info("polling mailbox %s (%s:%s)", row.address, settings.host, settings.port)

    async def _stop_one(self, account_id: int) -> None:
        entry = self.running.pop(account_id)
        entry.stop.set()  # run() ends after the message batch in hand, then logs out
        _done, pending = await asyncio.wait({entry.task}, timeout=self.stop_grace)
        if pending:
            # Whatever it holds was not flagged \Seen yet, so it is fetched again next time.
            entry.task.cancel()
            await asyncio.gather(entry.task, return_exceptions=True)
        await entry.poller.close()  # a no-op after a clean run(); a crashed one may hold a socket

    async def _save_cursor(self, account_id: int, cursor: MailboxCursor) -> None:
        state = {CURSOR_KEY: {"uidvalidity": cursor.uidvalidity, "last_uid": cursor.last_uid}}
        async with self.db.uow() as session:
            await accounts.update(session, account_id=account_id, changes={"state": state})


def _fingerprint(row: _Account) -> str:
    """Changes when the admin changes the mailbox's settings (not when its cursor moves)."""
    blob = json.dumps([row.config, row.secrets], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
