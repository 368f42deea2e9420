"""Input the gateway must refuse early and clearly: a widget upload over the limit (while it
streams), a Twilio sender that is no phone number (and never a reply to one), numbers a rule
cannot hold."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from channels.base import SendError
from channels.twilio.account import TwilioAccount
from channels.twilio.send import SmsChannel
from channels.webchat.verify import new_visitor, sign_visitor
from store.messages import Identity, OutboundMessage
from tests.doubles.twilio_api import (  # noqa: F401 - pytest fixtures
    twilio_api_fixture,
    twilio_api_server_fixture,
)
from tests.e2e.loopback import serve
from tests.integration.twilio_hooks import account_config, configure, post, sid, sms, tickets

PROBLEM = "application/problem+json"
BOUNDARY = "b0undary"


def visitor_token(app) -> str:
    return sign_visitor(app.state.settings.secret, new_visitor(1, None))


async def test_an_oversized_upload_is_refused_while_it_streams(app, client):
    limit = app.state.settings.max_attachment_bytes
    sent = 0

    async def body():
        nonlocal sent
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.png"'
            "\r\nContent-Type: image/png\r\n\r\n"
        ).encode()
        for _ in range(10 * limit // 65536):  # ten times the limit, never all read
            sent += 65536
            yield b"\0" * 65536

    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "X-Visitor-Token": visitor_token(app),
    }
    r = await client.post("/widget/api/uploads", content=body(), headers=headers)
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert r.headers["access-control-allow-origin"] == "*"  # the widget's page can read why
    assert sent < limit + 200_000  # before: the whole body (100 MB in the report) was read


async def test_an_oversized_upload_is_refused_at_its_content_length(app):
    """No byte of the body needs reading: the declared length is enough."""
    async with serve(app) as server:
        host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            b"POST /widget/api/uploads HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: 100000000\r\n\r\n"
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
    assert status.startswith(b"HTTP/1.1 413")


async def test_an_upload_within_the_limit_still_works(app, client):
    files = {"file": ("note.txt", b"hello", "text/plain")}
    r = await client.post(
        "/widget/api/uploads", files=files, headers={"X-Visitor-Token": visitor_token(app)}
    )
    assert r.status_code == 200 and r.json()["size"] == 5


@pytest.mark.parametrize("sender", ["not-a-number", "+", "+0123", "12345", "+1415555010012345"])
async def test_a_twilio_sender_that_is_no_phone_number_is_refused(
    client, admin_headers, twilio_api, sender
):
    await configure(client, admin_headers, twilio_api)
    r = await post(client, "/channels/twilio/sms", sms(sid("SM"), "Hi", sender=sender))
    assert r.status_code == 422 and "E.164" in r.json()["detail"]
    assert await tickets(client, admin_headers) == []


async def test_no_sms_goes_to_something_that_is_no_phone_number(twilio_api):
    channel = SmsChannel(TwilioAccount.model_validate(account_config(twilio_api)))
    for recipient, thread in [
        (Identity("phone", "not-a-number"), "not-a-number|+18005550199"),
        (Identity("email", "ann@example.com"), "anonymous|+18005550199"),
    ]:
        outbound = OutboundMessage(
            channel="twilio_sms",
            ticket_id=1,
            ticket_number=1,
            message_id=1,
            text="We are on it.",
            recipient=recipient,
            thread_key=thread,
        )
        with pytest.raises(SendError) as refused:
            await channel.send(outbound)
        assert refused.value.retryable is False and "E.164" in str(refused.value)
    assert twilio_api.messages == []


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"position": 10**60}, "position"),
        ({"position": True}, "position"),
        ({"position": "3"}, "position"),
        ({"conditions": {"window": {"days": [False]}}}, "days"),
        ({"conditions": {"window": {"days": [7]}}}, "days"),
        ({"conditions": {"window": {"days": [0] * 8}}}, "days"),
    ],
)
async def test_rule_numbers_are_whole_and_bounded(client, admin_headers, rule, field):
    body = {"name": "After hours", **rule}
    r = await client.post("/api/v1/agent/escalation-rules", json=body, headers=admin_headers)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert field in r.json()["detail"]
    assert (await client.get("/api/v1/agent/escalation-rules", headers=admin_headers)).json() == []


async def test_sensible_rule_numbers_pass(client, admin_headers):
    body = {"name": "Weekdays", "position": 3, "conditions": {"window": {"days": [0, 1, 2]}}}
    r = await client.post("/api/v1/agent/escalation-rules", json=body, headers=admin_headers)
    assert r.status_code == 201, r.text
    assert r.json()["position"] == 3
