"""Benchmark: 1,000 emails in a real Dovecot INBOX -> fetched, parsed and handed to a sink.

Run: python -m bench.email_ingest [count]. Prints the append time (setup) and the poll time
(UID SEARCH + batched UID FETCH + parse + STORE \\Seen). The sink is in-memory here; the ticket
store's ingest is measured separately once it exists.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

from pydantic import SecretStr

from channels.email_imap import ImapPoller, ImapSettings
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
    received = []

    async def sink(inbound) -> None:
        received.append(inbound.external_id)

    settings = ImapSettings(
        host=server.host,
        port=server.port,
        tls="none",
        username=user,
        password=SecretStr(server.password),
    )
    poller = ImapPoller(settings, sink)
    started = time.perf_counter()
    result = await poller.poll_once()
    elapsed = time.perf_counter() - started
    await poller.close()
    assert len(set(received)) == count == result.delivered
    print(f"poll {count}: {elapsed:.2f} s  ({count / elapsed:.0f} msg/s, fetch+parse+flag)")


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
