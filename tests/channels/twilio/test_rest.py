"""SMS sending and media fetching through the real twilio client against a loopback Twilio API."""

import socket

import pytest

from channels.base import SendError
from channels.twilio.account import TwilioAccount
from channels.twilio.formatting import split_sms
from channels.twilio.rest import MediaError, MediaTooLarge, fetch_media
from channels.twilio.send import PartialSendError, SmsChannel
from store.messages import Identity, OutboundMessage
from tests.doubles.twilio_api import (  # noqa: F401 - pytest fixtures
    TwilioApiDouble,
    twilio_api_fixture,
    twilio_api_server_fixture,
)

CUSTOMER, OURS = "+14155550100", "+18005550199"
LONG_REPLY = " ".join(
    f"Step {i}: open the **Orders** page and check that parcel {i} shows as shipped."
    for i in range(40)
)


def account_for(api: TwilioApiDouble, **overrides) -> TwilioAccount:
    values = {
        "account_sid": api.account_sid,
        "auth_token": api.auth_token,
        "number": OURS,
        "public_base_url": "https://help.example.com",
        "api_base_url": api.base_url,
        **overrides,
    }
    return TwilioAccount(**values)


def reply(text: str, **meta) -> OutboundMessage:
    return OutboundMessage(
        channel="twilio_sms",
        ticket_id=1,
        ticket_number=1001,
        message_id=5,
        text=text,
        recipient=Identity("phone", CUSTOMER),
        thread_key=f"{CUSTOMER}|{OURS}",
        meta=meta,
    )


async def test_reply_is_sent_from_our_number_with_a_status_callback(twilio_api):
    receipt = await SmsChannel(account_for(twilio_api)).send(reply("Your **order** shipped."))
    [sent] = twilio_api.messages
    assert (sent["From"], sent["To"], sent["Body"]) == (OURS, CUSTOMER, "Your order shipped.")
    assert sent["StatusCallback"] == "https://help.example.com/channels/twilio/sms/status"
    assert receipt.external_id == sent["_sid"]
    assert receipt.meta == {"sids": [sent["_sid"]], "parts": 1, "segments": 1}


async def test_long_reply_goes_out_as_ordered_parts(twilio_api):
    receipt = await SmsChannel(account_for(twilio_api)).send(reply(LONG_REPLY))
    bodies = [m["Body"] for m in twilio_api.messages]
    assert len(bodies) > 1
    assert bodies == split_sms(LONG_REPLY)
    assert all(len(body) <= 1600 and "**" not in body for body in bodies)
    assert receipt.meta["sids"] == [m["_sid"] for m in twilio_api.messages]


async def test_rate_limit_is_a_retryable_send_error(twilio_api):
    twilio_api.fail_next(429, 20429, "Too Many Requests")
    with pytest.raises(SendError) as caught:
        await SmsChannel(account_for(twilio_api)).send(reply("Hello"))
    assert caught.value.retryable is True
    assert "20429" in str(caught.value)
    assert twilio_api.messages == []


async def test_server_error_is_retryable(twilio_api):
    twilio_api.fail_next(503, 20500, "Service Unavailable")
    with pytest.raises(SendError) as caught:
        await SmsChannel(account_for(twilio_api)).send(reply("Hello"))
    assert caught.value.retryable is True


async def test_invalid_number_is_a_final_send_error(twilio_api):
    twilio_api.fail_next(400, 21211, "The 'To' number +1415 is not a valid phone number.")
    with pytest.raises(SendError) as caught:
        await SmsChannel(account_for(twilio_api)).send(reply("Hello"))
    assert caught.value.retryable is False
    assert "21211" in str(caught.value)


async def test_wrong_credentials_are_a_final_send_error(twilio_api):
    account = account_for(twilio_api, auth_token="not-the-token")
    with pytest.raises(SendError) as caught:
        await SmsChannel(account).send(reply("Hello"))
    assert caught.value.retryable is False
    assert twilio_api.messages == []


async def test_unreachable_twilio_is_retryable(twilio_api):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    account = account_for(twilio_api, api_base_url=f"http://127.0.0.1:{closed_port}")
    with pytest.raises(SendError) as caught:
        await SmsChannel(account).send(reply("Hello"))
    assert caught.value.retryable is True


async def test_retry_after_a_partial_send_does_not_repeat_parts(twilio_api):
    channel = SmsChannel(account_for(twilio_api))
    twilio_api.fail_next(429, 20429, "Too Many Requests", after=1)
    with pytest.raises(PartialSendError) as caught:
        await channel.send(reply(LONG_REPLY))
    assert caught.value.retryable and caught.value.sent_parts == 1
    retry_meta = {"twilio_parts_sent": caught.value.sent_parts, "twilio_sids": caught.value.sids}
    receipt = await channel.send(reply(LONG_REPLY, **retry_meta))
    assert [m["Body"] for m in twilio_api.messages] == split_sms(LONG_REPLY)
    assert receipt.meta["sids"] == [m["_sid"] for m in twilio_api.messages]


async def test_media_is_fetched_with_auth_and_redirected_without_it(twilio_api):
    jpeg = b"\xff\xd8\xff\xe0" + b"photo-bytes" * 100
    url = twilio_api.add_media(jpeg, "image/jpeg")
    attachment = await fetch_media(account_for(twilio_api), url, max_bytes=10_000)
    assert attachment.data == jpeg
    assert attachment.content_type == "image/jpeg"
    assert attachment.filename.startswith("ME") and attachment.filename.endswith(".jpg")
    api_hit, cdn_hit = twilio_api.media_requests
    assert api_hit["authorization"].startswith("Basic ")
    assert cdn_hit["path"].startswith("/cdn/") and cdn_hit["authorization"] is None


async def test_media_over_the_limit_is_refused(twilio_api):
    url = twilio_api.add_media(b"x" * 5000, "application/pdf")
    with pytest.raises(MediaTooLarge):
        await fetch_media(account_for(twilio_api), url, max_bytes=4999)


async def test_media_with_wrong_credentials_is_an_error(twilio_api):
    url = twilio_api.add_media(b"data", "image/png")
    with pytest.raises(MediaError, match="401"):
        await fetch_media(account_for(twilio_api, auth_token="wrong"), url, max_bytes=100)


async def test_credentials_are_never_sent_to_a_foreign_host(twilio_api):
    with pytest.raises(MediaError, match="refusing"):
        await fetch_media(account_for(twilio_api), "https://evil.example/x.jpg", max_bytes=100)
    assert twilio_api.media_requests == []
