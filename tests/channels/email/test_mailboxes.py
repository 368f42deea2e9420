"""The mailbox pollers of a running gateway: crash between fetch and commit, clean shutdown,
and a mailbox added from the CLI while the gateway runs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from channels.email.pollers import Mailboxes
from store.config import accounts
from tests.channels.email.helpers import (
    OURS,
    add_mailbox,
    customer_email,
    email_tickets,
    mailbox_config,
    messages,
    wait_until,
)
from tests.servers.dovecot import dovecot_server  # noqa: F401  (fixture)
from tests.servers.smtp import smtp_server_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]


async def _forget(app, client, headers, account_id: int) -> None:
    await client.delete(f"/api/v1/channels/{account_id}", headers=headers)
    app.state.mailboxes.rescan_interval = 10.0
    await app.state.mailboxes.sync()


async def _cursor(app, account_id: int) -> dict:
    async with app.state.db.read() as session:
        row = await accounts.get(session, account_id=account_id)
        return dict(row.state.get("imap") or {})


async def test_stopped_between_fetch_and_commit_nothing_lost_nothing_duplicated(
    app, client, admin_headers, dovecot, smtp_server
):
    mailboxes = app.state.mailboxes
    user = dovecot.new_user()
    sent = [customer_email(f"Question {n}", subject=f"Question {n}") for n in range(5)]
    await dovecot.append_many(user, [raw for raw, _ in sent])
    real_submit, committed = mailboxes.submit, []
    hung, release = asyncio.Event(), asyncio.Event()

    async def commit_two_then_hang(inbound):
        if len(committed) >= 2 and not release.is_set():
            hung.set()
            await release.wait()  # the poller is killed while these commits are in flight
        committed.append(inbound.external_id)
        return await real_submit(inbound)

    mailboxes.submit = commit_two_then_hang
    try:
        mailboxes.rescan_interval = 0.2
        mailboxes.rescan()
        account = await add_mailbox(
            client, admin_headers, mailbox_config(dovecot, user, smtp_server[0])
        )
        await asyncio.wait_for(hung.wait(), 15)
        await wait_until(lambda: _count_messages(client, admin_headers, 2), what="2 commits")
        crashed = mailboxes.running[account["id"]]
        crashed.task.cancel()  # killed mid-batch: no \Seen, no cursor save
        await asyncio.gather(crashed.task, return_exceptions=True)
        await crashed.poller.close()
        flags = await dovecot.flags_of(user)
        assert len(flags) == 5 and not any("\\Seen" in f for f in flags.values())
        assert await _cursor(app, account["id"]) in ({}, {"uidvalidity": None, "last_uid": 0})
    finally:
        # A poller the supervisor restarted meanwhile waits here, having flagged nothing.
        release.set()
        mailboxes.submit = real_submit

    mailboxes.rescan()  # the supervisor sees the dead poller and starts it again
    await wait_until(lambda: _count_messages(client, admin_headers, 5), what="5 messages")
    await wait_until(lambda: _all_seen(dovecot, user), what="all \\Seen")
    found = [
        m["external_id"]
        for t in await email_tickets(client, admin_headers)
        for m in await messages(client, admin_headers, t["id"])
    ]
    assert sorted(found) == sorted(message_id for _, message_id in sent)  # each exactly once
    assert (await _cursor(app, account["id"]))["last_uid"] == 5
    await _forget(app, client, admin_headers, account["id"])


async def _count_messages(client, headers, expected: int) -> bool:
    tickets = await email_tickets(client, headers)
    total = sum([len(await messages(client, headers, t["id"])) for t in tickets])
    assert total <= expected, f"{total} messages, expected {expected}: a duplicate"
    return total == expected


async def _all_seen(dovecot, user) -> bool:
    flags = await dovecot.flags_of(user)
    return bool(flags) and all("\\Seen" in f for f in flags.values())


async def test_stop_ends_idle_pollers_promptly(app, client, admin_headers, dovecot, smtp_server):
    user = dovecot.new_user()
    account = await add_mailbox(
        client, admin_headers, mailbox_config(dovecot, user, smtp_server[0])
    )
    own = Mailboxes(app.state.db, app.state.ingest.submit)  # as `autocrm serve` starts it
    own.start()
    await wait_until(lambda: _idling(own, account["id"]), what="the poller idling on the mailbox")
    tasks = [entry.task for entry in own.running.values()]
    started = time.monotonic()
    await own.stop()
    assert time.monotonic() - started < 3 and all(t.done() and not t.cancelled() for t in tasks)
    assert own.running == {}
    await _forget(app, client, admin_headers, account["id"])


async def _idling(mailboxes: Mailboxes, account_id: int) -> bool:
    entry = mailboxes.running.get(account_id)
    client = entry.poller._client if entry else None
    return bool(client and client.has_pending_idle())


async def test_cli_mailbox_add_is_polled_by_the_running_gateway(
    app, client, admin_headers, dovecot, smtp_server
):
    settings = app.state.settings
    env = {**os.environ, "AUTOCRM_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    user, controller = dovecot.new_user(), smtp_server[0]
    app.state.mailboxes.rescan_interval = 0.2
    app.state.mailboxes.rescan()
    args = [
        "mailbox", "add", "--address", OURS.upper(), "--name", "CLI support",
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.port), "--imap-tls", "none",
        "--imap-user", user, "--imap-password", dovecot.password,
        "--smtp-host", controller.hostname, "--smtp-port", str(controller.port),
        "--smtp-tls", "none", "--smtp-user", "relay", "--smtp-password", "relay-pw-42",
    ]  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "gateway.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"added mailbox {OURS}" in done.stdout and "relay-pw-42" not in done.stdout

    raw, message_id = customer_email("Sent to the CLI mailbox")
    await dovecot.append(user, raw)
    [ticket] = await wait_until(lambda: email_tickets(client, admin_headers), what="a ticket")
    assert [m["external_id"] for m in await messages(client, admin_headers, ticket["id"])] == [
        message_id
    ]
    [account] = (await client.get("/api/v1/channels?channel=email", headers=admin_headers)).json()
    assert account["name"] == "CLI support" and account["address"] == OURS
    assert account["secrets_set"] == ["imap_password", "smtp_password"]
    assert dovecot.password not in str(account) and "relay-pw-42" not in str(account)

    again = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "gateway.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 1 and "already configured" in again.stderr
    await _forget(app, client, admin_headers, account["id"])
