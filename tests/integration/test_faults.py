"""Deliberate faults around a running gateway: the SMTP server down then up, PostgreSQL
restarted under it, an LLM endpoint that never answers, Twilio answering 429 with Retry-After.
(Redis stopped and started: tests/integration/test_redis_outage.py; Slack's 429:
tests/channels/slack/test_flow.py.)
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from store.outbox.models import Delivery
from store.tickets.models import Message
from tests.agent.conftest import ask, bot_messages, configure, traces
from tests.channels.email.helpers import add_mailbox, customer_email, mailbox_config, received
from tests.doubles.openai_api import HANG, OpenAIDouble, decision
from tests.doubles.twilio_api import start as start_twilio
from tests.gateway_fixtures import make_key, make_settings, running_app
from tests.integration.twilio_hooks import configure as add_twilio
from tests.integration.twilio_hooks import post, sid, sms
from tests.servers.ports import free_port
from tests.servers.processes import PgCluster, migrated_database
from tests.servers.smtp import RecordingHandler


@asynccontextmanager
async def gateway(tmp_path, database_url=None, **settings):
    """(app, client, admin headers): the gateway in this process, its dispatcher running."""
    chosen = make_settings(tmp_path, database_url).model_copy(update=settings)
    async with running_app(chosen) as app:
        headers = {"Authorization": f"Bearer {await make_key(app, ['admin'])}"}
        # As a server would: an unhandled error is a 500 answer, not an exception in the test.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as c:
            yield app, c, headers


async def _until(check, timeout: float, what: str):
    """The first truthy `await check()`; fails after `timeout` seconds (a bound, not a timing)."""
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.05)
    return result


async def _reply(client, headers, ticket_id: int, text: str) -> int:
    r = await client.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": text},
                          headers=headers)  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _delivery_status(app, message_id: int) -> str:
    async with app.state.db.read() as session:
        return await session.scalar(select(Message.delivery_status).where(Message.id == message_id))


async def _send_attempts(app, message_id: int) -> int:
    async with app.state.db.read() as session:
        rows = await session.scalars(select(Delivery).where(Delivery.target == "send_message"))
        return sum(d.attempts for d in rows if d.args.get("message_id") == message_id)


async def test_smtp_down_then_up_the_reply_is_retried_and_delivered_once(tmp_path, dovecot):
    port = free_port()  # nothing listens here yet: the SMTP server is down
    smtp = Controller(RecordingHandler(), hostname="127.0.0.1", port=port)
    # Backoff 1.5^n s: a few attempts fail while the server is down, eight are ~40 s in all.
    async with gateway(tmp_path, job_backoff_base=1.5) as (app, client, headers):
        config = mailbox_config(dovecot, dovecot.new_user(), smtp)
        await add_mailbox(client, headers, config)
        raw, _ = customer_email()
        await dovecot.append(config["imap_user"], raw)

        async def a_ticket():
            items = (await client.get("/api/v1/tickets", headers=headers)).json()["items"]
            return items[0]["id"] if items else None

        ticket_id = await _until(a_ticket, 30, "the email's ticket")
        message_id = await _reply(client, headers, ticket_id, "Your parcel left today.")
        await _until(lambda: _attempts_at_least(app, message_id, 2), 20, "two failed sends")
        assert await _delivery_status(app, message_id) == "queued"  # not given up
        smtp.start()  # the server is back
        try:
            sent = lambda: _status_is(app, message_id, "sent")  # noqa: E731
            await _until(sent, 30, "the reply sent after SMTP came back")
            await asyncio.sleep(0.5)  # a second copy would arrive now
            texts = [received(e).get_body(("plain",)).get_content() for e in smtp.handler.envelopes]
            assert len(texts) == 1 and "Your parcel left today." in texts[0]
        finally:
            smtp.stop()
        print(f"\ndelivered once after {await _send_attempts(app, message_id)} attempts")


async def _attempts_at_least(app, message_id: int, n: int) -> bool:
    return await _send_attempts(app, message_id) >= n


async def _status_is(app, message_id: int, status: str) -> bool:
    return await _delivery_status(app, message_id) == status


@pytest.fixture
async def own_postgres():
    """A PostgreSQL cluster of this test's own (never the shared server): it gets restarted."""
    cluster = PgCluster()
    cluster.start()
    yield cluster
    cluster.remove()


async def _inbound(client, headers, n: int) -> int:
    body = {"external_id": f"pg-{n}", "customer": {"email": f"c{n % 5}@example.com"},
            "body": f"message {n}"}  # fmt: skip
    return (await client.post("/api/v1/inbound", json=body, headers=headers)).status_code


async def test_postgres_restarted_nothing_acknowledged_is_lost_and_the_pool_recovers(
    tmp_path, own_postgres
):
    url = await migrated_database(own_postgres.url)
    acked: set[int] = set()
    async with gateway(tmp_path, url) as (app, client, headers):
        for n in range(20):
            if await _inbound(client, headers, n) in (200, 201):
                acked.add(n)
        own_postgres.stop()  # fast shutdown: open connections are cut
        during = [await _inbound(client, headers, n) for n in range(20, 25)]
        assert set(during) <= {500, 503}, during  # refused, so the sender retries
        assert (await client.get("/readyz")).status_code == 503
        own_postgres.start()
        # The same process, no restart: the pool drops dead connections and reconnects.
        for n in range(20, 45):  # senders retry what was refused, then go on
            if await _inbound(client, headers, n) in (200, 201):
                acked.add(n)
        assert (await client.get("/readyz")).status_code == 200
        ticket_id = (await client.get("/api/v1/tickets", headers=headers)).json()["items"][0]["id"]
        reply = await _reply(client, headers, ticket_id, "after the restart")
        await _until(lambda: _status_is(app, reply, "sent"), 20, "a reply after the restart")
        async with app.state.db.read() as session:
            texts = list(
                await session.scalars(select(Message.text).where(Message.direction == "in"))
            )
    stored = {int(t.split()[1]) for t in texts}
    print(f"\n{len(acked)} acknowledged, {len(texts)} stored, codes while down: {during}")
    assert acked == set(range(20)) | set(range(20, 45))
    assert stored == acked and len(texts) == len(stored)  # none lost, none twice


async def _none_running(app) -> bool:
    async with app.state.db.read() as session:
        running = select(func.count()).select_from(Delivery).where(Delivery.status == "running")
        return await session.scalar(running) == 0


async def test_a_hanging_llm_escalates_within_its_timeout_and_the_worker_goes_on(tmp_path):
    with OpenAIDouble() as llm:
        async with gateway(tmp_path) as (app, client, headers):
            await configure(client, headers, mode="llm", llm_base_url=llm.base_url,
                            llm_model="m", llm_api_key=llm.api_key, llm_retries=0,
                            llm_timeout=0.5)  # fmt: skip
            llm.then(HANG)
            hung = await ask(app, client, headers, "Where is my refund?", ext="hang-1")
            assert llm.hanging == 1  # the endpoint still holds that request
            [trace] = await traces(client, headers, hung)
            assert trace["action"] == "escalate" and "LLM failed" in trace["reason"]
            [handoff] = await bot_messages(client, headers, hung)
            assert "team" in handoff["text"]
            # The next customer's turn runs as usual: nothing waits on the hung request.
            llm.then(decision("answer", "Refunds take five days."))
            answered = await ask(app, client, headers, "How long do refunds take?",
                                 ext="hang-2", email="dan@example.com")  # fmt: skip
            [bot] = await bot_messages(client, headers, answered)
            assert bot["text"] == "Refunds take five days."
            llm.release()


async def test_twilio_429_is_retried_after_retry_after_not_before(tmp_path):
    server, twilio = start_twilio()
    try:
        # Backoff base 0.01 s: without Retry-After the retry would come at once.
        async with gateway(tmp_path) as (app, client, headers):
            await add_twilio(client, headers, twilio)
            assert (await post(client, "/channels/twilio/sms", sms(sid("SM"), "hi"))).is_success
            ticket_id = (await client.get("/api/v1/tickets", headers=headers)).json()["items"][0][
                "id"
            ]
            twilio.fail_next(429, 20429, "Too Many Requests", retry_after=2)
            message_id = await _reply(client, headers, ticket_id, "We are on it.")
            await _until(lambda: _status_is(app, message_id, "sent"), 20, "the SMS sent")
            await _until(lambda: _attempts_at_least(app, message_id, 2), 10, "both recorded")
            attempts = await _send_attempts(app, message_id)
        (refused_at, first), (sent_at, second) = twilio.posts
        assert (first, second) == (429, 201) and len(twilio.messages) == 1
        assert attempts == 2
        waited = timedelta(seconds=sent_at - refused_at)
        print(f"\nretried {waited.total_seconds():.2f} s after the 429 (Retry-After: 2)")
        assert waited >= timedelta(seconds=2)  # never before Retry-After
    finally:
        server.shutdown()
