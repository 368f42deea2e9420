"""The IMAP poller on a real Dovecot: delivery, \\Seen only after commit, UIDVALIDITY, crashes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from pydantic import SecretStr

from channels.email.imap import ImapPoller, ImapSettings, MailboxCursor
from store.messages import InboundMessage
from tests.servers.dovecot import DovecotServer, dovecot_server  # noqa: F401  (fixture)


def make_email(subject: str = "Help please", body: str = "My order is late.") -> bytes:
    message_id = f"<{uuid.uuid4().hex}@customer.example>"
    return (
        f"From: Ann Customer <ann@customer.example>\r\nTo: support@shop.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n"
        f"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n{body}\r\n"
    ).encode()


class IdempotentStore:
    """A sink like the ticket store's ingest: commits once per external_id."""

    def __init__(self) -> None:
        self.items: dict[str, InboundMessage] = {}
        self.calls = 0

    async def __call__(self, inbound: InboundMessage) -> None:
        self.calls += 1
        self.items.setdefault(inbound.external_id, inbound)


def settings_for(server: DovecotServer, user: str, **overrides) -> ImapSettings:
    values = dict(
        host=server.host,
        port=server.port,
        tls="none",
        username=user,
        password=SecretStr(server.password),
        timeout=10,
        poll_interval=0.2,
    )
    values.update(overrides)
    return ImapSettings(**values)


def seen(flags: dict[int, set[str]]) -> dict[int, bool]:
    return {uid: "\\Seen" in value for uid, value in flags.items()}


async def test_appended_message_reaches_the_sink_then_is_flagged_seen(dovecot):
    user = dovecot.new_user()
    await dovecot.append(user, make_email(subject="Where is my parcel?"))
    store = IdempotentStore()
    poller = ImapPoller(settings_for(dovecot, user), store)

    result = await poller.poll_once()
    await poller.close()

    assert result.delivered == 1
    [inbound] = store.items.values()
    assert inbound.subject == "Where is my parcel?"
    assert inbound.sender.value == "ann@customer.example"
    assert inbound.meta["imap_uid"] == 1
    assert seen(await dovecot.flags_of(user)) == {1: True}
    assert poller.cursor.last_uid == 1 and poller.cursor.uidvalidity


async def test_failing_sink_leaves_message_unseen_and_it_is_redelivered(dovecot):
    user = dovecot.new_user()
    await dovecot.append_many(user, [make_email(body=f"message {n}") for n in range(3)])
    attempts: list[int] = []
    store = IdempotentStore()

    async def flaky_sink(inbound: InboundMessage) -> None:
        attempts.append(inbound.meta["imap_uid"])
        if inbound.meta["imap_uid"] == 2 and attempts.count(2) == 1:
            raise RuntimeError("database is locked")
        await store(inbound)

    poller = ImapPoller(settings_for(dovecot, user), flaky_sink)
    first = await poller.poll_once()
    assert (first.delivered, first.failed) == (2, 1)
    assert seen(await dovecot.flags_of(user)) == {1: True, 2: False, 3: True}
    assert poller.cursor.last_uid == 1  # the cursor waits below the failed message

    second = await poller.poll_once()
    third = await poller.poll_once()
    await poller.close()
    assert (second.delivered, second.failed) == (1, 0)
    assert third.delivered == 0
    assert attempts == [1, 2, 3, 2]
    assert poller.cursor.last_uid == 3  # past the retried one and the one handled before it
    assert len(store.items) == 3
    assert seen(await dovecot.flags_of(user)) == {1: True, 2: True, 3: True}


async def test_mail_read_elsewhere_before_we_poll_is_still_taken_once_connected(dovecot):
    """The first poll takes only unseen mail (no history import); after that every new UID,
    even one a person already opened in a mail client."""
    user = dovecot.new_user()
    await dovecot.append(user, make_email(body="old and read"), flags="(\\Seen)")
    await dovecot.append(user, make_email(body="waiting"))
    store = IdempotentStore()
    poller = ImapPoller(settings_for(dovecot, user), store)
    first = await poller.poll_once()
    await dovecot.append(user, make_email(body="new, opened in a mail client"), flags="(\\Seen)")
    second = await poller.poll_once()
    third = await poller.poll_once()
    await poller.close()
    assert (first.delivered, second.delivered, third.delivered) == (1, 1, 0)
    bodies = sorted(m.text.strip() for m in store.items.values())
    assert bodies == ["new, opened in a mail client", "waiting"]
    assert poller.cursor.last_uid == 3


async def test_uidvalidity_change_rescans_the_folder(dovecot):
    user = dovecot.new_user()
    client = await dovecot.connect(user)
    await client.create("Support")
    await dovecot.append_many(user, [make_email(), make_email()], mailbox="Support")
    cursor = MailboxCursor()
    store = IdempotentStore()
    poller = ImapPoller(settings_for(dovecot, user, folder="Support"), store, cursor=cursor)
    await poller.poll_once()
    await poller.close()
    old_validity = cursor.uidvalidity
    assert cursor.last_uid == 2

    # Recreating the folder gives it a new UIDVALIDITY; its UIDs start again at 1.
    await client.delete("Support")
    await asyncio.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock (seconds)
    await client.create("Support")
    await client.logout()
    fresh = make_email(subject="after the reset")
    await dovecot.append(user, fresh, mailbox="Support")

    result = await ImapPoller(
        settings_for(dovecot, user, folder="Support"), store, cursor=cursor
    ).poll_once()

    assert result.uidvalidity_reset and result.delivered == 1
    assert cursor.uidvalidity != old_validity and cursor.last_uid == 1
    assert [m.subject for m in store.items.values()].count("after the reset") == 1


async def test_crash_before_commit_loses_nothing_and_duplicates_nothing(dovecot):
    user = dovecot.new_user()
    await dovecot.append_many(user, [make_email(body=f"n{n}") for n in range(5)])
    store = IdempotentStore()
    reached_third = asyncio.Event()

    async def sink_that_hangs_on_the_third(inbound: InboundMessage) -> None:
        if len(store.items) == 2:
            reached_third.set()
            await asyncio.Event().wait()  # the process dies while this commit is in flight
        await store(inbound)

    cursor = MailboxCursor()
    crashing = ImapPoller(settings_for(dovecot, user), sink_that_hangs_on_the_third, cursor=cursor)
    task = asyncio.create_task(crashing.poll_once())
    await asyncio.wait_for(reached_third.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await crashing.close()
    assert not any(seen(await dovecot.flags_of(user)).values())  # nothing flagged before commit

    restarted = ImapPoller(settings_for(dovecot, user), store, cursor=cursor)
    await restarted.poll_once()
    await restarted.close()

    assert len(store.items) == 5  # every message committed exactly once
    assert all(seen(await dovecot.flags_of(user)).values())


async def test_batches_cover_every_message(dovecot):
    user = dovecot.new_user()
    await dovecot.append_many(user, [make_email(body=f"b{n}") for n in range(23)])
    store = IdempotentStore()
    poller = ImapPoller(settings_for(dovecot, user, batch_size=5), store)
    result = await poller.poll_once()
    await poller.close()
    assert result.delivered == 23 and len(store.items) == 23
    assert poller.cursor.last_uid == 23


async def test_processed_folder_moves_handled_mail(dovecot):
    user = dovecot.new_user()
    client = await dovecot.connect(user)
    await client.create("Processed")
    await client.logout()
    await dovecot.append(user, make_email())
    settings = settings_for(dovecot, user, processed_folder="Processed")
    poller = ImapPoller(settings, IdempotentStore())
    await poller.poll_once()
    await poller.close()
    assert await dovecot.flags_of(user) == {}
    assert len(await dovecot.flags_of(user, mailbox="Processed")) == 1


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
async def test_tls_modes_log_in_and_deliver(dovecot, tls):
    user = dovecot.new_user()
    await dovecot.append(user, make_email(subject=f"over {tls}"))
    port = dovecot.ssl_port if tls == "ssl" else dovecot.port
    settings = settings_for(dovecot, user, tls=tls, port=port, ssl_context=dovecot.ssl_context())
    store = IdempotentStore()
    poller = ImapPoller(settings, store)
    await poller.poll_once()
    await poller.close()
    assert [m.subject for m in store.items.values()] == [f"over {tls}"]


async def _wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_run_wakes_on_idle_and_survives_a_dropped_connection(dovecot):
    user = dovecot.new_user()
    store = IdempotentStore()
    poller = ImapPoller(settings_for(dovecot, user, poll_interval=60), store, max_backoff=0.5)
    stop = asyncio.Event()
    runner = asyncio.create_task(poller.run(stop))
    await _wait_until(lambda: poller._client is not None and poller._client.has_pending_idle())

    await dovecot.append(user, make_email(subject="pushed"))
    await _wait_until(lambda: len(store.items) == 1)

    poller._client.protocol.transport.close()  # the network drops the session
    await dovecot.append(user, make_email(subject="after reconnect"))
    await _wait_until(lambda: len(store.items) == 2)

    stop.set()
    await asyncio.wait_for(runner, 10)
    assert {m.subject for m in store.items.values()} == {"pushed", "after reconnect"}
