"""Slack end to end: signed Events API payloads in, tickets out, replies posted to the double."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from store.db import utcnow
from store.outbox.models import Delivery, Event
from tests.channels.slack.slack_api import SlackApiDouble

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHANNEL, TOP_TS = "C0SUPPORT", "1700000100.000100"
SECRET = "s3cret-signing"
EVENTS = "/channels/slack/events"


@pytest.fixture
def slack_api():
    with SlackApiDouble(channels={CHANNEL}) as api:
        api.add_user("U0CUSTOMER", name="ana", real_name="Ana Lima", email="ana@example.com")
        yield api


@pytest.fixture
async def slack_account(client, admin_headers, slack_api) -> dict:
    config = {
        "bot_token": slack_api.state.token,
        "signing_secret": SECRET,
        "channel_ids": [CHANNEL],
        "team_id": slack_api.state.team_id,
        "api_base_url": slack_api.base_url,
        "file_url_prefix": slack_api.file_url_prefix,
    }
    body = {"channel": "slack", "name": "Support workspace", "config": config}
    response = await client.post("/api/v1/channels", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    return response.json()


def payload(name: str, **event_changes) -> dict:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    if "event" in data:
        data["event"].update(event_changes)
    return data


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    """Headers Slack sends, signed with slack_sdk's own signer."""
    timestamp = str(int(time.time() if at is None else at))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


async def deliver(client, data: dict, **headers):
    body = json.dumps(data).encode()
    return await client.post(EVENTS, content=body, headers=signed(body) | headers)


async def tickets(client, admin_headers) -> list[dict]:
    return (await client.get("/api/v1/tickets", headers=admin_headers)).json()["items"]


async def messages(client, admin_headers, ticket_id: int) -> list[dict]:
    response = await client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=admin_headers)
    return response.json()


async def open_thread(app, client, admin_headers) -> dict:
    """A top-level message in the watched channel; the enrich job has run."""
    response = await deliver(client, payload("top_level_message"))
    assert response.status_code == 200, response.text
    await settle(app)
    [ticket] = await tickets(client, admin_headers)
    return ticket


# --- configuration -------------------------------------------------------------------------


async def test_admin_configures_the_app_and_secrets_never_come_back(
    client, admin_headers, slack_account
):
    assert slack_account["address"] == "T0AUTOCRM"
    assert slack_account["secrets_set"] == ["bot_token", "signing_secret"]
    shown = await client.get(f"/api/v1/channels/{slack_account['id']}", headers=admin_headers)
    assert SECRET not in shown.text and "xoxb-" not in shown.text


async def test_no_admin_answer_carries_a_secret_and_a_rotated_secret_applies(
    client, admin_headers, slack_account, slack_api
):
    base = f"/api/v1/channels/{slack_account['id']}"
    rotated = {"config": {"signing_secret": "n3w-signing"}}
    patched = await client.patch(base, json=rotated, headers=admin_headers)
    assert patched.status_code == 200, patched.text
    listed = await client.get("/api/v1/channels", headers=admin_headers)
    answers = [json.dumps(slack_account), patched.text, listed.text]
    for secret in (SECRET, "n3w-signing", slack_api.state.token):
        assert [a for a in answers if secret in a] == []
    assert patched.json()["secrets_set"] == ["bot_token", "signing_secret"]

    body = json.dumps(payload("top_level_message")).encode()
    old = await client.post(EVENTS, content=body, headers=signed(body))
    new = await client.post(EVENTS, content=body, headers=signed(body, secret="n3w-signing"))
    assert (old.status_code, new.status_code) == (401, 200)


async def test_a_config_without_a_bot_token_is_refused(client, admin_headers):
    config = {"bot_token": "xoxp-user-token", "signing_secret": SECRET, "channel_ids": [CHANNEL]}
    body = {"channel": "slack", "name": "Wrong token", "config": config}
    response = await client.post("/api/v1/channels", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert "xoxb" in response.text


# --- authenticity --------------------------------------------------------------------------


async def test_url_verification_echoes_the_challenge(client, slack_account):
    response = await deliver(client, payload("url_verification"))
    assert response.status_code == 200
    assert response.json() == {"challenge": payload("url_verification")["challenge"]}


@pytest.mark.parametrize(
    ("secret", "age", "reason"),
    [("not-our-secret", 0, "bad X-Slack-Signature"), (SECRET, 6 * 60, "stale")],
    ids=["bad-signature", "stale-timestamp"],
)
async def test_unverified_requests_are_refused_and_store_nothing(
    client, admin_headers, slack_account, secret, age, reason
):
    body = json.dumps(payload("top_level_message")).encode()
    headers = signed(body, secret=secret, at=time.time() - age)
    response = await client.post(EVENTS, content=body, headers=headers)
    assert response.status_code == 401
    assert reason in response.text
    assert await tickets(client, admin_headers) == []


async def test_without_a_configured_app_every_event_is_refused(client, admin_headers):
    response = await deliver(client, payload("top_level_message"))
    assert response.status_code == 401
    assert await tickets(client, admin_headers) == []


# --- inbound -------------------------------------------------------------------------------


async def test_a_thread_becomes_one_ticket(app, client, admin_headers, slack_account):
    ticket = await open_thread(app, client, admin_headers)
    reply = await deliver(client, payload("thread_reply"))
    assert reply.json()["ticket_id"] == ticket["id"]

    assert ticket["channel"] == "slack"
    assert ticket["thread_key"] == f"{CHANNEL}:{TOP_TS}"
    texts = [m["text"] for m in await messages(client, admin_headers, ticket["id"])]
    assert texts == [
        "Hi, my invoice & receipt for order 1042 are missing <urgent>",
        "It is order 1042, paid by card yesterday.",
    ]
    other = await deliver(client, payload("top_level_message", ts="1700000900.000900"))
    assert other.json()["ticket_id"] != ticket["id"]  # a new top-level message, a new ticket


async def test_another_person_in_the_thread_adds_to_the_same_ticket(
    app, client, admin_headers, slack_account
):
    ticket = await open_thread(app, client, admin_headers)
    colleague = payload("thread_reply", user="U0COLLEAGUE", ts="1700000300.000300")
    colleague["event_id"] = "Ev0REPLY0002"
    response = await deliver(client, colleague)
    assert response.json()["ticket_id"] == ticket["id"]
    assert len(await messages(client, admin_headers, ticket["id"])) == 2


async def test_a_slack_retry_does_not_add_a_second_message(
    app, client, admin_headers, slack_account
):
    ticket = await open_thread(app, client, admin_headers)
    retry = await deliver(client, payload("top_level_message"), **{"X-Slack-Retry-Num": "1"})
    mention = await deliver(client, payload("app_mention"))  # same message, another event

    assert retry.status_code == 200 and retry.json()["duplicate"] is True
    assert mention.status_code == 200 and mention.json()["ticket_id"] == ticket["id"]
    assert len(await messages(client, admin_headers, ticket["id"])) == 1


async def test_bot_messages_never_loop_back(app, client, admin_headers, slack_account):
    for name in ("bot_message", "own_bot_reply", "channel_join", "unwatched_channel"):
        response = await deliver(client, payload(name))
        assert response.status_code == 200
        assert response.json()["ignored"]
    assert await tickets(client, admin_headers) == []


async def test_users_info_gives_the_contact_a_name_and_email(
    app, client, admin_headers, slack_account, slack_api
):
    ticket = await open_thread(app, client, admin_headers)
    contact_url = f"/api/v1/contacts/{ticket['contact_id']}"
    contact = (await client.get(contact_url, headers=admin_headers)).json()

    assert contact["email"] == "ana@example.com"
    assert {(i["kind"], i["value"]) for i in contact["identities"]} == {
        ("slack", "U0CUSTOMER"),
        ("email", "ana@example.com"),
    }
    [call] = slack_api.calls_to("users.info")
    assert call.params["user"] == "U0CUSTOMER"
    await deliver(client, payload("thread_reply"))
    await settle(app)
    assert len(slack_api.calls_to("users.info")) == 1  # once per person, not per message


async def test_users_info_is_a_job_so_a_rate_limit_neither_delays_the_ack_nor_loses_it(
    app, client, admin_headers, slack_account, slack_api
):
    slack_api.rate_limit("users.info", retry_after=1)
    response = await deliver(client, payload("top_level_message"))
    assert response.status_code == 200 and response.json()["ticket_id"]
    contact_url = None

    async def enriched():
        nonlocal contact_url
        [ticket] = await tickets(client, admin_headers)
        contact_url = f"/api/v1/contacts/{ticket['contact_id']}"
        contact = (await client.get(contact_url, headers=admin_headers)).json()
        return contact if contact["email"] else None

    contact = await eventually(app, enriched)
    assert contact and contact["email"] == "ana@example.com"
    assert len(slack_api.calls_to("users.info")) == 2  # the 429, then the retry


async def test_a_customer_known_by_email_stays_one_contact(
    app, client, admin_headers, slack_account, slack_api
):
    slack_api.add_user("U0CUSTOMER", name="jane", real_name="Jane Roe", email="jane@example.com")
    known = {"name": "Jane", "identities": [{"kind": "email", "value": "Jane@Example.com"}]}
    jane = (await client.post("/api/v1/contacts", json=known, headers=admin_headers)).json()
    # Both messages are in before users.info runs: each enrich job starts from a Slack contact.
    await deliver(client, payload("top_level_message"))
    await deliver(client, payload("thread_reply"))
    await settle(app)

    [ticket] = await tickets(client, admin_headers)
    assert ticket["contact_id"] == jane["id"]
    everyone = (await client.get("/api/v1/contacts", headers=admin_headers)).json()
    assert [c["id"] for c in everyone] == [jane["id"]]
    [contact] = everyone
    assert contact["name"] == "Jane"
    assert {(i["kind"], i["value"]) for i in contact["identities"]} == {
        ("email", "jane@example.com"),
        ("slack", "U0CUSTOMER"),
    }
    assert contact["attributes"]["slack_user"]["email"] == "jane@example.com"
    async with app.state.db.sessions() as session:
        [merged] = await session.scalars(select(Event).where(Event.type == "contact.merged"))
    assert merged.payload["contact_id"] == jane["id"]
    assert merged.payload["ticket_ids"] == [ticket["id"]]
    assert (merged.actor_kind, merged.actor_name) == ("system", "slack")

    # The next message of that Slack user goes straight to Jane; replies still reach the thread.
    looked_up = len(slack_api.calls_to("users.info"))
    await deliver(client, payload("top_level_message", ts="1700000900.000900"))
    url = f"/api/v1/tickets/{ticket['id']}/messages"
    await client.post(url, json={"body": "On it, Jane."}, headers=admin_headers)
    await settle(app)
    assert {t["contact_id"] for t in await tickets(client, admin_headers)} == {jane["id"]}
    assert len(slack_api.calls_to("users.info")) == looked_up  # known now: no second lookup
    [call] = slack_api.calls_to("chat.postMessage")
    assert (call.params["channel"], call.params["thread_ts"]) == (CHANNEL, TOP_TS)


async def test_a_shared_file_becomes_an_attachment(
    app, client, admin_headers, slack_account, slack_api
):
    ticket = await open_thread(app, client, admin_headers)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    url = slack_api.add_file("error.png", png, "image/png")
    shared = payload("file_share")
    shared["event"]["files"][0]["url_private"] = url
    assert (await deliver(client, shared)).status_code == 200
    await settle(app)

    last = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert last["text"] == "Here is the screenshot of the error"
    [attachment] = last["attachments"]
    assert (attachment["filename"], attachment["content_type"]) == ("error.png", "image/png")
    assert attachment["size"] == len(png)
    [download] = slack_api.calls_to(urlsplit(url).path)
    assert download.headers["Authorization"] == f"Bearer {slack_api.state.token}"


async def test_a_file_over_the_size_limit_is_not_attached(
    app, client, admin_headers, slack_account, slack_api
):
    ticket = await open_thread(app, client, admin_headers)
    too_big = b"x" * (app.state.settings.max_attachment_bytes + 1)
    shared = payload("file_share")
    shared["event"]["files"][0]["url_private"] = slack_api.add_file("big.bin", too_big, "a/b")
    await deliver(client, shared)
    await settle(app)
    last = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert last["text"] == "Here is the screenshot of the error"
    assert last["attachments"] == []


async def test_edit_and_deletion_are_recorded_as_events(app, client, admin_headers, slack_account):
    ticket = await open_thread(app, client, admin_headers)
    await deliver(client, payload("thread_reply"))
    assert (await deliver(client, payload("message_changed"))).status_code == 200
    await deliver(client, payload("message_changed"))  # Slack's retry: recorded once
    assert (await deliver(client, payload("message_deleted"))).status_code == 200

    reply = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert reply["text"] == "It is order 1043, paid by card yesterday."
    assert "deleted" in reply["flags"]
    url = f"/api/v1/tickets/{ticket['id']}/events"
    events = (await client.get(url, headers=admin_headers)).json()
    [edited] = [e for e in events if e["type"] == "message.edited"]
    assert edited["before"] == {"text": "It is order 1042, paid by card yesterday."}
    assert edited["after"] == {"text": "It is order 1043, paid by card yesterday."}
    assert edited["actor_kind"] == "customer" and edited["actor_id"] == ticket["contact_id"]
    [deleted] = [e for e in events if e["type"] == "message.deleted"]
    assert deleted["payload"]["message_id"] == reply["id"]


# --- outbound ------------------------------------------------------------------------------


async def test_an_agent_reply_goes_into_the_thread_and_a_note_never_does(
    app, client, admin_headers, slack_account, slack_api
):
    await open_thread(app, client, admin_headers)
    other_ts = "1700000900.000900"  # a second thread, so "the first thread" would be wrong
    await deliver(client, payload("top_level_message", ts=other_ts))
    [ticket] = [
        t for t in await tickets(client, admin_headers) if t["thread_key"].endswith(other_ts)
    ]
    base = f"/api/v1/tickets/{ticket['id']}"
    await client.post(f"{base}/notes", json={"body": "internal only"}, headers=admin_headers)
    sent = await client.post(f"{base}/messages", json={"body": "Re-sent."}, headers=admin_headers)
    assert sent.status_code == 201
    await settle(app)

    [call] = slack_api.calls_to("chat.postMessage")
    assert (call.params["channel"], call.params["thread_ts"]) == (CHANNEL, other_ts)
    assert call.params["text"] == "Re-sent."
    out = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert out["delivery_status"] == "sent"
    assert out["external_id"].startswith(f"{CHANNEL}:1700000000.")


async def test_a_rate_limited_reply_is_sent_after_retry_after(
    app, client, admin_headers, slack_account, slack_api
):
    ticket = await open_thread(app, client, admin_headers)
    slack_api.rate_limit("chat.postMessage", retry_after=1)
    url = f"/api/v1/tickets/{ticket['id']}/messages"
    await client.post(url, json={"body": "Checking now."}, headers=admin_headers)
    assert await eventually(app, lambda: _calls(slack_api, "chat.postMessage"))
    assert (await messages(client, admin_headers, ticket["id"]))[-1]["delivery_status"] == "queued"

    async def last_sent():
        last = (await messages(client, admin_headers, ticket["id"]))[-1]
        return last if last["delivery_status"] == "sent" else None

    assert await eventually(app, last_sent)
    calls = slack_api.calls_to("chat.postMessage")
    assert len(calls) == 2 and calls[1].params["thread_ts"] == TOP_TS
    # The retry was scheduled by Retry-After (1 s), not by the tests' 0.01 s backoff.
    async with app.state.db.sessions() as session:
        delivery, queued = (
            await session.execute(
                select(Delivery, Event)
                .join(Event, Event.id == Delivery.event_id)
                .where(Delivery.target == "send_message")
            )
        ).one()
    assert (delivery.status, delivery.attempts) == ("done", 2)
    assert (delivery.next_attempt_at - queued.created_at).total_seconds() >= 1


async def eventually(app, check, *, rounds: int = 100):
    """Drive the dispatcher until `check()` gives something truthy (bounded, ~10 s).

    drain() alone is not enough: the dispatcher's own loop may have claimed a delivery that
    has not started yet, and a Retry-After delay is real time.
    """
    result = None
    for _ in range(rounds):
        await app.state.dispatcher.drain()
        result = await check()
        if result:
            break
        await asyncio.sleep(0.1)
    return result


async def settle(app) -> None:
    """Wait until every event is fanned out and no delivery is pending or running."""

    async def idle() -> bool:
        async with app.state.db.sessions() as session:
            # Scheduled checks (an unseen-wait alert, an SLA clock) wait for their time: not work.
            due = Delivery.next_attempt_at <= utcnow() + timedelta(seconds=30)
            busy = await session.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.status.in_(("pending", "running")), due
                )
            )
            fresh = await session.scalar(
                select(func.count(Event.id)).where(Event.dispatched_at.is_(None))
            )
        return busy == 0 and fresh == 0

    assert await eventually(app, idle), "the outbox did not settle"


async def _calls(slack_api: SlackApiDouble, method: str) -> list:
    return slack_api.calls_to(method)
