"""Crash safety under load: signed Twilio SMS, inbound API messages and widget chats through
HAProxy into two gateways and two RQ workers, while a gateway and a worker are killed with
SIGKILL several times and started again. Senders retry as providers do (Twilio redelivers a
webhook that got no 2xx; an integration retries its POST; the widget resends with the same
client id after reconnecting).

Afterwards: every acknowledged message is stored exactly once, every bot reply was sent exactly
once (the Twilio REST double counts the SMS), no delivery is stuck or dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import func, or_, select
from twilio.request_validator import RequestValidator

from store.db import Database, utcnow
from store.outbox.models import Delivery
from store.tickets.models import Message
from tests.doubles.twilio_api import start as start_twilio
from tests.integration.lb_clients import Widget
from tests.integration.twilio_hooks import PUBLIC, account_config, sms
from tests.integration.webchat_client import add_widget
from tests.servers.processes import Deployment, RedisServer, api_key, migrated_database

pytestmark = pytest.mark.slow
SMS_CUSTOMERS, SMS_EACH = 12, 2
API_CUSTOMERS, API_EACH = 8, 4
WIDGETS, WIDGET_EACH = 4, 5
KILL_ROUNDS = 3
RETRY_FOR = 90.0  # a sender gives up after this long (a bound, never reached when it works)


@pytest.fixture(scope="module")
async def stack(pg_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crash")
    twilio_server, twilio = start_twilio()
    redis = RedisServer()
    redis.start()
    url = await migrated_database(pg_server)
    deployment = Deployment(url, redis, tmp)
    db = Database(url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        await deployment.start()
        admin = await api_key(url, ["admin"], "admin")
        headers = {"Authorization": f"Bearer {admin}"}
        async with httpx.AsyncClient(base_url=deployment.url, headers=headers) as http:
            body = {"channel": "twilio_sms", "name": "Line", "config": account_config(twilio)}
            assert (await http.post("/api/v1/channels", json=body)).status_code == 201
            bot = await http.patch("/api/v1/agent/settings", json={"enabled": True})
            assert bot.status_code == 200, bot.text
        await add_widget(deployment.url, admin)
        yield SimpleNamespace(deployment=deployment, twilio=twilio, db=db, headers=headers)
    finally:
        deployment.stop()
        redis.stop()
        await db.dispose()
        twilio_server.shutdown()


class Tally:
    def __init__(self) -> None:
        self.sent = Counter()  # attempts per kind
        self.acked: dict[str, str] = {}  # text -> kind
        self.server_errors = 0
        self.refused = 0  # connection refused / reset: the sender retries


async def _post_until_ok(http, tally, kind: str, text: str, path: str, **request) -> None:
    deadline = time.monotonic() + RETRY_FOR
    while time.monotonic() < deadline:
        tally.sent[kind] += 1
        try:
            response = await http.post(path, **request)
        except httpx.HTTPError:
            tally.refused += 1
        else:
            if response.status_code < 300:
                tally.acked[text] = kind
                return
            assert response.status_code >= 500, response.text  # a 4xx would be our bug
            tally.server_errors += 1
        await asyncio.sleep(0.2)
    pytest.fail(f"{kind} message {text!r} never acknowledged")


async def _sms_customer(http, tally, n: int, twilio) -> None:
    phone = f"+1415555{n:04d}"
    signer = RequestValidator(twilio.auth_token)
    for i in range(SMS_EACH):
        text = f"sms {n} part {i}: my parcel is late"
        params = sms(f"SM{n:04d}{i:02d}{'0' * 26}", text, sender=phone)
        signature = signer.compute_signature(PUBLIC + "/channels/twilio/sms", params)
        await _post_until_ok(http, tally, "sms", text, "/channels/twilio/sms", data=params,
                             headers={"X-Twilio-Signature": signature})  # fmt: skip


async def _api_customer(http, tally, n: int, headers: dict) -> None:
    for i in range(API_EACH):
        text = f"api {n} mail {i}: invoice question"
        body = {"external_id": f"mail-{n}-{i}", "customer": {"email": f"c{n}@example.com"},
                "subject": "Invoice", "body": text}  # fmt: skip
        await _post_until_ok(http, tally, "api", text, "/api/v1/inbound", json=body,
                             headers=headers)  # fmt: skip


async def _widget_customer(url: str, tally, n: int) -> None:
    widget = Widget(url, pin=f"gw{n % 2 + 1}")
    deadline = time.monotonic() + RETRY_FOR
    while True:  # its first connect may meet a gateway being killed, too
        try:
            await widget.connect()
            break
        except Exception:
            assert time.monotonic() < deadline, "the widget never connected"
            await asyncio.sleep(0.2)
    try:
        for i in range(WIDGET_EACH):
            text = f"widget {n} line {i}: where is my order"
            await _widget_send(widget, tally, f"w{n}-{i}", text)
    finally:
        await widget.sio.disconnect()


async def _widget_send(widget: Widget, tally, client_id: str, text: str) -> None:
    deadline = time.monotonic() + RETRY_FOR
    while time.monotonic() < deadline:
        tally.sent["widget"] += 1
        with contextlib.suppress(Exception):  # disconnected, or no ack before it dropped
            if (await widget.send(client_id, text)).get("ok"):
                tally.acked[text] = "widget"
                return
        tally.refused += 1
        await asyncio.sleep(0.2)
    pytest.fail(f"widget message {text!r} never acknowledged")


async def _killer(deployment: Deployment, rng: random.Random, log: list[str]) -> None:
    """Kill -9 a gateway and a worker at random moments, restart them, several times."""
    for round_ in range(KILL_ROUNDS):
        await asyncio.sleep(rng.uniform(0.5, 2.0))
        gateway = rng.choice(deployment.gateways)
        gateway.kill()
        await asyncio.sleep(rng.uniform(0.1, 1.0))
        worker = rng.choice(deployment.workers)
        worker.kill()
        log.append(f"round {round_}: killed {gateway.label} and {worker.label}")
        worker.start()
        gateway.start()
        await gateway.ready()  # never both gateways down at once


async def _settled(db: Database) -> bool:
    async with db.read() as session:
        busy = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                or_(Delivery.status == "running", Delivery.status == "pending"),
                Delivery.next_attempt_at <= utcnow(),
            )
        )
        unsent = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == "out", Message.delivery_status == "queued")
        )
    return busy == 0 and unsent == 0


async def _pending(db: Database) -> list:
    async with db.read() as session:
        deliveries = await session.execute(
            select(Delivery.id, Delivery.target, Delivery.status, Delivery.attempts,
                   Delivery.next_attempt_at, Delivery.last_error)
            .where(Delivery.status != "done")
        )  # fmt: skip
        messages = await session.execute(
            select(Message.id, Message.ticket_id, Message.author_kind, Message.delivery_status)
            .where(Message.direction == "out", Message.delivery_status == "queued")
        )  # fmt: skip
        return [*map(tuple, deliveries), *map(tuple, messages)]


async def test_nothing_lost_or_doubled_while_gateways_and_workers_are_killed(stack):
    deployment, tally, rng, kills = stack.deployment, Tally(), random.Random(20), []
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=deployment.url, limits=limits, timeout=10) as http:
        senders = [_sms_customer(http, tally, n, stack.twilio) for n in range(SMS_CUSTOMERS)]
        senders += [_api_customer(http, tally, n, stack.headers) for n in range(API_CUSTOMERS)]
        senders += [_widget_customer(deployment.url, tally, n) for n in range(WIDGETS)]
        began = time.monotonic()
        await asyncio.gather(_killer(deployment, rng, kills), *senders)
        loaded = time.monotonic() - began
    deadline = time.monotonic() + 180
    while not await _settled(stack.db):
        if time.monotonic() > deadline:
            pytest.fail(f"still pending after 180 s: {await _pending(stack.db)}")
        await asyncio.sleep(0.2)

    async with stack.db.read() as session:
        rows = await session.execute(select(Message.text, Message.direction, Message.author_kind,
                                            Message.delivery_status))  # fmt: skip
        rows = list(rows)
        dead = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "dead")
        )
    stored = Counter(text for text, direction, _, _ in rows if direction == "in")
    expected = SMS_CUSTOMERS * SMS_EACH + API_CUSTOMERS * API_EACH + WIDGETS * WIDGET_EACH
    lost = [text for text in tally.acked if stored[text] == 0]
    doubled = [text for text, n in stored.items() if n > 1]
    bot_sms = Counter(m["To"] for m in stack.twilio.messages)
    bot_rows = [r for r in rows if r[2] == "bot"]
    print(
        f"\n{sum(tally.sent.values())} sends ({dict(tally.sent)}), {len(tally.acked)} acknowledged,"
        f" {sum(stored.values())} stored, {len(doubled)} duplicated, {len(lost)} lost;"
        f" {tally.server_errors} 5xx and {tally.refused} refused/dropped while killed;"
        f" {len(stack.twilio.messages)} bot SMS to {len(bot_sms)} numbers,"
        f" {len(bot_rows)} bot replies; load {loaded:.1f} s; {'; '.join(kills)}"
    )
    assert len(tally.acked) == expected
    assert lost == [] and doubled == []
    assert sum(stored.values()) == expected
    assert set(bot_sms) == {f"+1415555{n:04d}" for n in range(SMS_CUSTOMERS)}
    assert set(bot_sms.values()) == {1}, "a bot SMS went out twice"
    assert {status for _, _, kind, status in bot_rows} == {"sent"}
    assert dead == 0
