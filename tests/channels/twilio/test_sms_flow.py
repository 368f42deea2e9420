"""Twilio SMS through the running gateway: signed webhooks in, replies out via the REST double."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from channels.twilio.formatting import split_sms
from store import files
from store.contacts.models import Contact
from store.tickets.models import Message
from tests.doubles.twilio_api import (  # noqa: F401 - pytest fixtures
    twilio_api_fixture,
    twilio_api_server_fixture,
)
from tests.integration.twilio_hooks import (
    CUSTOMER,
    OTHER,
    OURS,
    PUBLIC,
    configure,
    messages,
    post,
    sid,
    sms,
    status_callback,
    tickets,
)

LONG_ANSWER = " ".join(
    f"**Step {i}:** open [Orders](https://shop.example.com/orders) and check parcel {i}."
    for i in range(60)
)


async def reply(client, headers, ticket_id: int, body: str) -> dict:
    response = await client.post(
        f"/api/v1/tickets/{ticket_id}/messages", json={"body": body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_admin_adds_a_number_and_the_auth_token_never_comes_back(
    client, admin_headers, twilio_api
):
    account = await configure(client, admin_headers, twilio_api)
    listed = await client.get("/api/v1/channels?channel=twilio_sms", headers=admin_headers)
    for shown in (account, listed.json()[0]):
        assert shown["address"] == OURS and shown["secrets_set"] == ["auth_token"]
        assert "auth_token" not in shown["config"]
    assert twilio_api.auth_token not in listed.text + str(account)


async def test_signed_sms_opens_a_ticket_and_a_retry_stays_one_message(
    client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api)
    first = sms(sid("SM"), "My parcel never arrived")
    answered = await post(client, "/channels/twilio/sms", first)
    assert answered.status_code == 200
    assert answered.headers["content-type"].startswith("text/xml")
    assert "<Response" in answered.text and "<Message" not in answered.text
    again = await post(client, "/channels/twilio/sms", first)  # Twilio redelivers
    assert again.status_code == 200
    [ticket] = await tickets(client, admin_headers)
    assert ticket["channel"] == "twilio_sms" and ticket["subject"] == "My parcel never arrived"
    assert [m["text"] for m in await messages(client, admin_headers, ticket["id"])] == [
        "My parcel never arrived"
    ]


async def test_forged_or_unsigned_webhooks_are_refused_and_store_nothing(
    client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api)
    params = sms(sid("SM"), "Refund me")
    forged = await post(client, "/channels/twilio/sms", params, token="not-our-auth-token")
    unsigned = await post(client, "/channels/twilio/sms", params, signature=None)
    garbage = await post(client, "/channels/twilio/sms", params, signature="bm90LWEtc2ln")
    genuine = RequestValidator(twilio_api.auth_token).compute_signature(
        PUBLIC + "/channels/twilio/sms", params
    )
    tampered = await post(
        client, "/channels/twilio/sms", {**params, "Body": "Pay me"}, signature=genuine
    )
    internal_url = RequestValidator(twilio_api.auth_token).compute_signature(
        "http://testserver/channels/twilio/sms", params
    )  # what a check against the proxied URL would accept
    proxied = await post(client, "/channels/twilio/sms", params, signature=internal_url)
    status = await post(
        client, "/channels/twilio/sms/status", status_callback("SM1", "delivered"), signature=None
    )
    for response in (forged, unsigned, garbage, tampered, proxied, status):
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
    assert "X-Twilio-Signature" in unsigned.json()["detail"]
    assert await tickets(client, admin_headers) == []


async def test_unknown_number_is_refused(client, admin_headers, twilio_api):
    response = await post(client, "/channels/twilio/sms", sms(sid("SM"), "Hello"))
    assert response.status_code == 403
    assert await tickets(client, admin_headers) == []


async def test_the_same_customer_texting_again_joins_the_open_ticket(
    client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api)
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "Order 456 is late"))
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "It was due Monday"))
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "Different person", sender=OTHER))
    found = await tickets(client, admin_headers)
    assert len(found) == 2
    mine = next(t for t in found if t["subject"] == "Order 456 is late")
    texts = [m["text"] for m in await messages(client, admin_headers, mine["id"])]
    assert texts == ["Order 456 is late", "It was due Monday"]


async def test_a_reply_is_texted_from_our_number_split_and_without_markdown(
    app, client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api)
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "How do I track orders?"))
    [ticket] = await tickets(client, admin_headers)
    await reply(client, admin_headers, ticket["id"], LONG_ANSWER)
    await app.state.dispatcher.drain()
    sent = twilio_api.messages
    assert len(sent) > 1
    assert {(m["From"], m["To"]) for m in sent} == {(OURS, CUSTOMER)}
    assert [m["Body"] for m in sent] == split_sms(LONG_ANSWER)
    assert all("**" not in m["Body"] and "](" not in m["Body"] for m in sent)
    assert sent[0]["StatusCallback"] == "https://help.example.com/channels/twilio/sms/status"
    out = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert out["delivery_status"] == "sent" and out["external_id"] == sent[0]["_sid"]


async def test_status_callbacks_mark_delivery_and_never_step_back(
    app, client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api)
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "Is my order shipped?"))
    [ticket] = await tickets(client, admin_headers)
    await reply(client, admin_headers, ticket["id"], "Yes, it left today.")
    await app.state.dispatcher.drain()
    [sent] = twilio_api.messages
    delivered = await post(
        client, "/channels/twilio/sms/status", status_callback(sent["_sid"], "delivered")
    )
    late = await post(client, "/channels/twilio/sms/status", status_callback(sent["_sid"], "sent"))
    assert delivered.status_code == 204 and late.status_code == 204
    out = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert out["delivery_status"] == "delivered"


async def test_undelivered_callback_marks_the_reply_failed_with_twilios_code(
    app, client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api)
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "Call me back"))
    [ticket] = await tickets(client, admin_headers)
    await reply(client, admin_headers, ticket["id"], "We will.")
    await app.state.dispatcher.drain()
    [sent] = twilio_api.messages
    report = status_callback(sent["_sid"], "undelivered", ErrorCode="30003")
    await post(client, "/channels/twilio/sms/status", report)
    out = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert out["delivery_status"] == "failed" and "30003" in out["delivery_error"]


async def test_stop_blocks_replies_until_start(app, client, admin_headers, twilio_api):
    await configure(client, admin_headers, twilio_api)
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "Where is my refund?"))
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "STOP", OptOutType="STOP"))
    [ticket] = await tickets(client, admin_headers)
    assert (await messages(client, admin_headers, ticket["id"]))[-1]["flags"] == ["opt_out"]
    await reply(client, admin_headers, ticket["id"], "Your refund is on its way.")
    await app.state.dispatcher.drain()
    assert twilio_api.messages == []
    blocked = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert blocked["delivery_status"] == "failed" and "STOP" in blocked["delivery_error"]

    await post(client, "/channels/twilio/sms", sms(sid("SM"), "START"))
    await reply(client, admin_headers, ticket["id"], "Welcome back: your refund is on its way.")
    await app.state.dispatcher.drain()
    assert [m["Body"] for m in twilio_api.messages] == ["Welcome back: your refund is on its way."]


async def test_mms_media_are_fetched_by_a_job_and_attached(app, client, admin_headers, twilio_api):
    await configure(client, admin_headers, twilio_api)
    photo = b"\xff\xd8\xff\xe0" + b"dented-box" * 500
    url = twilio_api.add_media(photo, "image/jpeg")
    mms = sms(
        sid("MM"),
        "The box arrived dented",
        NumMedia="1",
        MediaUrl0=url,
        MediaContentType0="image/jpeg",
    )
    assert (await post(client, "/channels/twilio/sms", mms)).status_code == 200
    await post(client, "/channels/twilio/sms", mms)  # redelivered before the job ran
    await app.state.dispatcher.drain()
    [ticket] = await tickets(client, admin_headers)
    [message] = await messages(client, admin_headers, ticket["id"])
    [attachment] = message["attachments"]
    assert message["text"] == "The box arrived dented"
    assert attachment["content_type"] == "image/jpeg" and attachment["size"] == len(photo)
    assert files.read(attachment["sha256"]) == photo
    assert twilio_api.media_requests[0]["authorization"].startswith("Basic ")


async def test_media_over_the_size_limit_is_skipped_and_said(
    app, client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api)
    limit = app.state.settings.max_attachment_bytes
    url = twilio_api.add_media(b"v" * (limit + 1), "video/mp4")
    mms = sms(
        sid("MM"), "Video of the fault", NumMedia="1", MediaUrl0=url, MediaContentType0="video/mp4"
    )
    await post(client, "/channels/twilio/sms", mms)
    await app.state.dispatcher.drain()
    async with app.state.db.uow() as session:
        message = await session.scalar(select(Message).where(Message.channel == "twilio_sms"))
        assert message.attachments == []
        [skipped] = message.meta["media_skipped"]
        assert skipped["url"] == url and "limit" in skipped["reason"]


async def test_opt_out_is_kept_on_the_contact(app, client, admin_headers, twilio_api):
    await configure(client, admin_headers, twilio_api)
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "unsubscribe"))
    async with app.state.db.uow() as session:
        contact = await session.scalar(select(Contact).where(Contact.phone == CUSTOMER))
        assert contact.attributes["sms_opt_out"] is True


async def test_a_retry_after_a_partial_send_sends_only_the_missing_parts(
    app, client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api)
    await post(client, "/channels/twilio/sms", sms(sid("SM"), "How do I track orders?"))
    [ticket] = await tickets(client, admin_headers)
    twilio_api.fail_next(429, 20429, "Too Many Requests", after=1)  # part 2 is rate-limited once
    await reply(client, admin_headers, ticket["id"], LONG_ANSWER)
    parts = split_sms(LONG_ANSWER)
    for _ in range(100):  # the send job retries after its (short, in tests) backoff
        await app.state.dispatcher.drain()
        if len(twilio_api.messages) >= len(parts):
            break
        await asyncio.sleep(0.02)
    assert [m["Body"] for m in twilio_api.messages] == parts
    out = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert out["delivery_status"] == "sent" and out["external_id"] == twilio_api.messages[0]["_sid"]
