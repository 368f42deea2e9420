"""Slack adapter against a loopback Slack Web API, driven by slack_sdk's own AsyncWebClient."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from channels.base import SendError
from channels.slack.api import SlackCallError, fetch_file, identify_bot, lookup_user
from channels.slack.config import SlackApp
from channels.slack.limits import HARD_MAX_TEXT
from channels.slack.send import SlackChannel
from store.messages import Identity, OutboundMessage
from tests.channels.slack.slack_api import Answer, SlackApiDouble

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHANNEL, TOP_TS = "C0SUPPORT", "1700000100.000100"
SECRET = "s3cret-signing"


@pytest.fixture
def slack_api():
    with SlackApiDouble(channels={CHANNEL}) as api:
        yield api


@pytest.fixture
def app(slack_api: SlackApiDouble) -> SlackApp:
    return SlackApp(
        bot_token=slack_api.state.token,
        signing_secret=SECRET,
        channel_ids={CHANNEL},
        bot_user_id="U0BOT",
        api_base_url=slack_api.base_url,
        file_url_prefix=slack_api.file_url_prefix,
    )


def reply(thread_key: str, text: str = "Thanks Ana, the invoice is on its way.") -> OutboundMessage:
    return OutboundMessage(
        channel="slack",
        ticket_id=7,
        ticket_number=1007,
        message_id=70,
        text=text,
        recipient=Identity("slack", "U0CUSTOMER"),
        thread_key=thread_key,
    )


def fixture_body(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


# --- send ----------------------------------------------------------------------------------


async def test_reply_to_a_parsed_message_goes_into_its_thread(app, slack_api):
    channel = SlackChannel(app)
    inbound = channel.parse(json.loads(fixture_body("thread_reply"))).message

    receipt = await channel.send(reply(inbound.thread_key))

    [call] = slack_api.calls_to("chat.postMessage")
    assert call.params["channel"] == CHANNEL
    assert call.params["thread_ts"] == TOP_TS  # the thread's root, not the reply's own ts
    assert call.params["text"] == "Thanks Ana, the invoice is on its way."
    assert call.headers["Authorization"] == f"Bearer {slack_api.state.token}"
    assert receipt.external_id == f"{CHANNEL}:{receipt.meta['ts']}"
    assert receipt.meta["ts"] != TOP_TS


async def test_each_reply_gets_its_own_receipt(app, slack_api):
    channel = SlackChannel(app)
    first = await channel.send(reply(f"{CHANNEL}:{TOP_TS}", "one"))
    second = await channel.send(reply(f"{CHANNEL}:{TOP_TS}", "two"))
    assert first.external_id != second.external_id
    assert [c.params["text"] for c in slack_api.calls_to("chat.postMessage")] == ["one", "two"]


async def test_rate_limit_is_a_retryable_error_with_retry_after_and_no_sdk_retry(app, slack_api):
    slack_api.rate_limit("chat.postMessage", retry_after=30, times=3)

    with pytest.raises(SendError) as caught:
        await SlackChannel(app).send(reply(f"{CHANNEL}:{TOP_TS}"))

    assert caught.value.retryable is True
    assert caught.value.retry_after == 30
    # one request only: slack_sdk's retry handlers are off, the job queue owns retries
    assert len(slack_api.calls_to("chat.postMessage")) == 1


async def test_rate_limit_clears_and_the_next_try_posts(app, slack_api):
    slack_api.rate_limit("chat.postMessage", retry_after=1)
    channel = SlackChannel(app)
    with pytest.raises(SendError):
        await channel.send(reply(f"{CHANNEL}:{TOP_TS}"))
    receipt = await channel.send(reply(f"{CHANNEL}:{TOP_TS}"))
    assert receipt.external_id.startswith(f"{CHANNEL}:")


OUTAGE_PAGE = b"<html><body>Slack is having trouble</body></html>"


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        (Answer(503, OUTAGE_PAGE, "text/html"), True),
        (Answer(200, b'{"ok": false, "error": "internal_error"}'), True),
        (Answer(500, b'{"ok": false, "error": "fatal_error"}'), True),
        (Answer(200, b'{"ok": false, "error": "is_archived"}'), False),
        (Answer(200, b"{half a json"), False),  # it may have posted: a retry could post twice
    ],
    ids=["503-page", "internal_error", "fatal_error", "is_archived", "garbled"],
)
async def test_server_errors_say_whether_a_retry_can_help(app, slack_api, answer, retryable):
    slack_api.fail("chat.postMessage", answer)
    with pytest.raises(SendError, match="chat.postMessage") as caught:
        await SlackChannel(app).send(reply(f"{CHANNEL}:{TOP_TS}"))
    assert caught.value.retryable is retryable
    assert caught.value.retry_after is None


async def test_unknown_channel_is_not_retryable(app, slack_api):
    with pytest.raises(SendError, match="channel_not_found") as caught:
        await SlackChannel(app).send(reply("C0GONE:1700000100.000100"))
    assert caught.value.retryable is False


async def test_revoked_token_is_not_retryable(app, slack_api):
    wrong = app.model_copy(update={"bot_token": type(app.bot_token)("xoxb-revoked")})
    with pytest.raises(SendError, match="invalid_auth") as caught:
        await SlackChannel(wrong).send(reply(f"{CHANNEL}:{TOP_TS}"))
    assert caught.value.retryable is False


async def test_dropped_connection_is_retryable_and_not_retried_by_the_sdk(app, slack_api):
    slack_api.drop_connections("chat.postMessage", times=2)
    with pytest.raises(SendError, match="unreachable") as caught:
        await SlackChannel(app).send(reply(f"{CHANNEL}:{TOP_TS}"))
    assert caught.value.retryable is True
    # slack_sdk's default connection-error handler would have tried a second time
    assert len(slack_api.calls_to("chat.postMessage")) == 1


async def test_unreachable_slack_is_retryable(app):
    with SlackApiDouble(channels={CHANNEL}) as gone:
        closed = gone.base_url  # the port is free again once the server stops
    down = app.model_copy(update={"api_base_url": closed})
    with pytest.raises(SendError, match="unreachable") as caught:
        await SlackChannel(down).send(reply(f"{CHANNEL}:{TOP_TS}"))
    assert caught.value.retryable is True


async def test_text_over_slacks_hard_limit_is_refused_before_calling_slack(app, slack_api):
    with pytest.raises(SendError) as caught:
        await SlackChannel(app).send(reply(f"{CHANNEL}:{TOP_TS}", "x" * (HARD_MAX_TEXT + 1)))
    assert caught.value.retryable is False
    assert slack_api.calls == []


# --- auth.test and users.info --------------------------------------------------------------


async def test_identify_bot_learns_the_bot_user_so_its_echo_is_ignored(app, slack_api):
    learned = await identify_bot(app.model_copy(update={"bot_user_id": None}))
    assert learned.bot_user_id == slack_api.state.bot_user_id
    echo = json.loads(fixture_body("own_bot_reply"))
    del echo["event"]["bot_id"]  # even without bot_id, our own user id gives it away
    assert SlackChannel(learned).parse(echo).reason == "sent by our own bot user"


async def test_lookup_user_returns_name_and_email(app, slack_api):
    slack_api.add_user("U0CUSTOMER", name="ana", real_name="Ana Lima", email="ana@example.com")
    assert await lookup_user(app, "U0CUSTOMER") == {"name": "ana", "email": "ana@example.com"}
    [call] = slack_api.calls_to("users.info")
    assert call.params["user"] == "U0CUSTOMER"


async def test_lookup_user_without_email_scope_gives_no_email(app, slack_api):
    slack_api.add_user("U0GUEST", name="", real_name="Guest Person", email=None)
    assert await lookup_user(app, "U0GUEST") == {"name": "Guest Person", "email": None}


async def test_lookup_of_an_unknown_user_is_a_permanent_error(app, slack_api):
    with pytest.raises(SlackCallError, match="user_not_found") as caught:
        await lookup_user(app, "U0NOBODY")
    assert caught.value.retryable is False


# --- files ---------------------------------------------------------------------------------


async def test_shared_file_is_fetched_with_the_bot_token(app, slack_api):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    url = slack_api.add_file("error shot.png", png, "image/png")

    attachment = await fetch_file(app, url, max_bytes=1_000_000)

    assert attachment.data == png
    assert (attachment.filename, attachment.content_type) == ("error shot.png", "image/png")
    [call] = slack_api.calls
    assert call.headers["Authorization"] == f"Bearer {slack_api.state.token}"


async def test_file_over_the_limit_is_refused(app, slack_api):
    url = slack_api.add_file("big.bin", b"x" * 5000, "application/octet-stream")
    with pytest.raises(SlackCallError, match="larger than 4096") as caught:
        await fetch_file(app, url, max_bytes=4096)
    assert caught.value.retryable is False


async def test_file_over_the_limit_without_content_length_is_cut_off(app, slack_api):
    url = slack_api.add_file("stream.bin", b"y" * 200_000, "application/pdf", send_length=False)
    with pytest.raises(SlackCallError, match="larger than 65536"):
        await fetch_file(app, url, max_bytes=65536)
    small = slack_api.add_file("small.pdf", b"%PDF-1.7 tiny", "application/pdf", send_length=False)
    assert (await fetch_file(app, small, max_bytes=65536)).data == b"%PDF-1.7 tiny"


async def test_file_fetched_with_a_bad_token_is_an_error_not_a_sign_in_page(app, slack_api):
    url = slack_api.add_file("notes.txt", b"hello", "text/plain")
    wrong = app.model_copy(update={"bot_token": type(app.bot_token)("xoxb-revoked")})
    with pytest.raises(SlackCallError, match="sign-in page") as caught:
        await fetch_file(wrong, url, max_bytes=1000)
    assert caught.value.retryable is False


async def test_bot_token_is_never_sent_outside_the_file_prefix(app, slack_api):
    with pytest.raises(SlackCallError, match="refusing"):
        await fetch_file(app, f"{slack_api.origin}/elsewhere/x.png", max_bytes=1000)
    with pytest.raises(SlackCallError, match="refusing"):
        await fetch_file(app, "https://files.slack.com.evil.example/x.png", max_bytes=1000)
    assert slack_api.calls == []


async def test_rate_limited_file_download_is_retryable(app, slack_api):
    url = slack_api.add_file("later.png", b"png", "image/png")
    slack_api.rate_limit(urlsplit(url).path, retry_after=12)
    with pytest.raises(SlackCallError) as caught:
        await fetch_file(app, url, max_bytes=1000)
    assert (caught.value.retryable, caught.value.retry_after) == (True, 12)


# --- the inbound path end to end -----------------------------------------------------------


async def test_signed_file_share_event_is_verified_parsed_and_its_file_fetched(app, slack_api):
    """Route order: verify the raw body, parse it, then fetch what it lists."""
    url = slack_api.add_file("error.png", b"\x89PNG fake", "image/png")
    payload = json.loads(fixture_body("file_share"))
    payload["event"]["files"][0]["url_private"] = url
    body = json.dumps(payload).encode()
    base = b"v0:1700000700:" + body
    signature = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": "1700000700", "X-Slack-Signature": signature}
    channel = SlackChannel(app)

    channel.verify(headers, body, now=1700000760)
    [listed] = channel.parse(json.loads(body)).message.meta["files"]
    attachment = await fetch_file(app, listed["url_private"], 1000, mimetype=listed["mimetype"])

    assert attachment.data == b"\x89PNG fake"
    assert attachment.filename == "error.png"
