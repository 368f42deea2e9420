"""Throttles on guessing: failed sign-ins per account and per address, new web chats per
address; counted in the database, so every gateway process on it applies the same limits."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from gateway import throttle
from store.outbox.models import Event
from store.staff import service as staff
from tests.gateway_fixtures import running_app
from tests.integration.webchat_client import Customer, Refused, gateway

PASSWORD = "correct horse battery"
PROBLEM = "application/problem+json"


async def add_user(app, email: str = "agent@example.com") -> int:
    async with app.state.db.uow() as session:
        return (await staff.create_user(session, email=email, password=PASSWORD)).id


async def login(client, email: str, password: str = "wrong password", **headers):
    body = {"email": email, "password": password}
    return await client.post("/api/v1/auth/login", json=body, headers=headers)


async def audit_events(app) -> list[dict]:
    async with app.state.db.read() as session:
        rows = await session.scalars(select(Event).where(Event.type.like("auth.%")))
        return [{"type": e.type, **e.payload, "sent": e.dispatched_at is not None} for e in rows]


async def test_an_account_is_locked_after_ten_failures(app, client):
    await add_user(app)
    for _ in range(throttle.ACCOUNT.hits):
        assert (await login(client, "agent@example.com")).status_code == 401
    # Now even the right password waits: the guesser cannot tell which try was right.
    locked = await login(client, "agent@example.com", PASSWORD)
    assert locked.status_code == 429 and locked.headers["content-type"] == PROBLEM
    wait = int(locked.headers["Retry-After"])
    assert 0 < wait <= throttle.ACCOUNT.window.total_seconds()
    assert "try again in" in locked.json()["detail"]
    (event,) = await audit_events(app)  # one entry per lockout, not per refused attempt
    assert event["type"] == "auth.sign_in_throttled" and event["limit"] == "login-account"
    assert event["email"] == "agent@example.com" and event["address"] == "127.0.0.1"
    assert event["sent"]  # kept in the log, never pushed to every console socket
    # Another account from the same address is not locked by it.
    await add_user(app, "ana@example.com")
    assert (await login(client, "ana@example.com", PASSWORD)).status_code == 200


async def test_unknown_and_known_accounts_answer_alike(app, client):
    await add_user(app)
    answers = []
    for email in ("agent@example.com", "nobody@example.com"):
        for _ in range(throttle.ACCOUNT.hits):
            wrong = await login(client, email)
            answers.append((wrong.status_code, wrong.json()["detail"]))
        locked = await login(client, email)
        answers.append((locked.status_code, locked.json()["detail"].split(" in ")[0]))
    half = len(answers) // 2
    assert answers[:half] == answers[half:]  # no account enumeration in status or words


async def test_a_success_starts_the_accounts_count_over(app, client):
    await add_user(app)
    for _ in range(2):
        for _ in range(throttle.ACCOUNT.hits - 1):
            assert (await login(client, "agent@example.com")).status_code == 401
        assert (await login(client, "agent@example.com", PASSWORD)).status_code == 200


@pytest.mark.slow
async def test_an_address_is_locked_after_fifty_failures(app, client):
    await add_user(app)
    for i in range(throttle.ADDRESS.hits):
        assert (await login(client, f"guess{i}@example.com")).status_code == 401
    locked = await login(client, "agent@example.com", PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert {e["limit"] for e in await audit_events(app)} == {"login-address"}


async def test_the_console_form_is_throttled_too(app, client):
    await add_user(app)
    for _ in range(throttle.ACCOUNT.hits):
        await login(client, "agent@example.com")
    form = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
    data = {"email": "agent@example.com", "password": PASSWORD, "csrf_token": token}
    page = await client.post("/console/login", data=data)
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in page.text


async def test_every_gateway_process_sees_the_same_count(app, client):
    """A second app on the same database (another `autocrm serve`) refuses the same account."""
    await add_user(app)
    for _ in range(throttle.ACCOUNT.hits):
        await login(client, "agent@example.com")
    async with running_app(app.state.settings) as other:
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await login(http, "agent@example.com", PASSWORD)).status_code == 429
        async with other.state.db.read() as session:
            assert await session.scalar(select(func.count(Event.id))) == 1


@pytest.mark.slow
async def test_new_web_chats_are_throttled_per_address(tmp_path):
    async with gateway(tmp_path) as (app, url, admin):
        first = Customer(url)
        await first.connect()
        await first.close()
        for _ in range(throttle.NEW_CHATS.hits - 1):
            customer = Customer(url)
            await customer.connect()
            await customer.close()
        with pytest.raises(Refused, match="Too many new chats"):
            await Customer(url).connect()
        # A returning visitor is no new chat: their conversation still opens.
        back = Customer(url, visitor_token=first.auth["visitor_token"])
        await back.connect()
        await back.close()


async def test_a_widget_behind_a_big_nat_can_allow_more_new_chats(tmp_path):
    """The limit is the widget's setting (a campus or a call centre shares one address)."""
    async with gateway(tmp_path, new_chats_per_address=2) as (app, url, admin):
        for _ in range(2):
            customer = Customer(url)
            await customer.connect()
            await customer.close()
        with pytest.raises(Refused, match="Too many new chats"):
            await Customer(url).connect()
