"""Benchmark: 1,000 emails in a real Dovecot INBOX -> tickets in the database (SQLite).

Run: python -m bench.email_ingest [count]. Prints the append time (setup) and the ingest time:
UID SEARCH + batched UID FETCH + parse + the gateway's ingest writer (group commit, one
transaction per batch) + STORE \\Seen, i.e. what a mailbox poller of `autocrm serve` does.
Then counts the tickets and messages in the database, so a fast run that stored nothing fails.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import func, select

from channels.email.imap import ImapPoller, ImapSettings
from channels.email.ingest import deliver
from store import files
from store.db import Database
from store.migrate import upgrade
from store.tickets.ingest_writer import IngestWriter
from store.tickets.models import Message, Ticket
from tests.servers.dovecot import DovecotServer, dovecot_server


def sample(n: int) -> bytes:
    # A typical customer email: text + HTML alternative, ~2 KB, a reply with quoted history.
    boundary = uuid.uuid4().hex
    text = f"Hello, order #{n} has not arrived yet. Can you check?\n\n" + "> earlier text\n" * 20
    html = f"<p>Hello, order <b>#{n}</b> has not arrived yet.</p>" + "<p>padding</p>" * 40
    return (
        f"From: Customer {n} <c{n}@customer.example>\r\nTo: support@shop.example\r\n"
        f"Subject: Order {n} late\r\nMessage-ID: <{uuid.uuid4().hex}@customer.example>\r\n"
        f"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
        f"--{boundary}--\r\n"
    ).encode()


async def measure(server: DovecotServer, count: int) -> None:
    user = server.new_user()
    started = time.perf_counter()
    await server.append_many(user, [sample(n) for n in range(count)])
    print(f"append {count}: {time.perf_counter() - started:.2f} s (setup)")
    data = Path(tempfile.mkdtemp(prefix="email-bench-"))
    files.configure(data / "attachments")
    db = Database(f"sqlite+aiosqlite:///{data / 'autocrm.db'}")
    await upgrade(db.engine)
    writer = IngestWriter(db)
    writer.start()

    async def sink(inbound) -> None:
        await deliver(db, writer.submit, inbound)

    settings = ImapSettings(
        host=server.host,
        port=server.port,
        tls="none",
        username=user,
        password=SecretStr(server.password),
        our_addresses=("support@shop.example",),
    )
    poller = ImapPoller(settings, sink)
    started = time.perf_counter()
    result = await poller.poll_once()
    elapsed = time.perf_counter() - started
    await poller.close()
    await writer.stop()
    async with db.read() as session:
        tickets = await session.scalar(select(func.count(Ticket.id)))
        messages = await session.scalar(select(func.count(Message.id)))
    await db.dispose()
    assert result.delivered == count == tickets == messages, (result, tickets, messages)
    print(
        f"ingest {count}: {elapsed:.2f} s  ({count / elapsed:.0f} msg/s; "
        f"IMAP fetch + parse + tickets committed in SQLite + \\Seen) -> {tickets} tickets"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    fixture = dovecot_server.__wrapped__()
    server = next(fixture)
    try:
        asyncio.run(measure(server, count))
    finally:
        fixture.close()


if __name__ == "__main__":
    main()
