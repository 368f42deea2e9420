"""Slack inbound side: request signatures and Events API payloads -> normalised events."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from channels.base import VerifyError
from channels.slack.config import SlackApp
from channels.slack.parse import SlackEvent, parse_event
from channels.slack.verify import verify_slack

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EVAL = (Path(__file__).resolve().parents[3] / "../shared/eval/webhooks/slack").resolve()


def needs_eval(test):
    """Mark a test as reading ../shared/eval and skip it, saying why, where that is absent."""
    missing = pytest.mark.skipif(not EVAL.is_dir(), reason=f"no Slack eval payloads at {EVAL}")
    return pytest.mark.eval_data(missing(test))


CHANNEL, BOT = "C0SUPPORT", "U0BOT"
TOP_TS = "1700000100.000100"

# Slack's published example (api.slack.com/authentication/verifying-requests-from-slack): it
# proves the base string is built exactly as Slack builds it, which a round trip cannot.
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = 1531420618
DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def parse(payload: dict, *, channels: set[str] | None = None) -> SlackEvent:
    return parse_event(payload, bot_user_id=BOT, channel_ids=channels or {CHANNEL})


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Sign as Slack does, written out here rather than through the code under test."""
    base = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


# --- signatures ----------------------------------------------------------------------------


def test_slack_documented_signature_is_accepted():
    headers = {"X-Slack-Request-Timestamp": str(DOC_TIMESTAMP), "X-Slack-Signature": DOC_SIGNATURE}
    verify_slack(headers, DOC_BODY, SecretStr(DOC_SECRET), now=DOC_TIMESTAMP + 30)


def test_signed_event_body_is_accepted_with_lowercase_headers():
    body = (FIXTURES / "top_level_message.json").read_bytes()
    headers = {k.lower(): v for k, v in signed_headers("s3cret", 1700000100, body).items()}
    verify_slack(headers, body, "s3cret", now=1700000100)


def test_tampered_body_is_rejected():
    headers = {"X-Slack-Request-Timestamp": str(DOC_TIMESTAMP), "X-Slack-Signature": DOC_SIGNATURE}
    with pytest.raises(VerifyError, match="bad X-Slack-Signature"):
        verify_slack(headers, DOC_BODY + b"&x=1", DOC_SECRET, now=DOC_TIMESTAMP)


def test_other_secret_is_rejected():
    body = b'{"type":"event_callback"}'
    headers = signed_headers("not-our-secret", 1700000100, body)
    with pytest.raises(VerifyError, match="bad X-Slack-Signature"):
        verify_slack(headers, body, "s3cret", now=1700000100)


@pytest.mark.parametrize("skew", [301, -301, 3600])
def test_stale_or_future_timestamp_is_rejected_even_when_signed(skew):
    headers = {"X-Slack-Request-Timestamp": str(DOC_TIMESTAMP), "X-Slack-Signature": DOC_SIGNATURE}
    with pytest.raises(VerifyError, match="stale"):
        verify_slack(headers, DOC_BODY, DOC_SECRET, now=DOC_TIMESTAMP + skew)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Signature": DOC_SIGNATURE},
        {"X-Slack-Request-Timestamp": str(DOC_TIMESTAMP)},
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": DOC_SIGNATURE},
    ],
)
def test_missing_or_malformed_headers_are_rejected(headers):
    with pytest.raises(VerifyError, match="missing or malformed"):
        verify_slack(headers, DOC_BODY, DOC_SECRET, now=DOC_TIMESTAMP)


def test_non_utf8_body_is_rejected_not_crashing():
    body = b"\xff\xfe not json"
    headers = signed_headers("s3cret", 1700000100, body)
    with pytest.raises(VerifyError):
        verify_slack(headers, body, "s3cret", now=1700000100)


# --- configuration -------------------------------------------------------------------------


def test_app_config_rejects_user_tokens_and_empty_secrets():
    with pytest.raises(ValidationError, match="xoxb"):
        SlackApp(bot_token="xoxp-user-token", signing_secret="s", channel_ids={CHANNEL})
    with pytest.raises(ValidationError, match="signing_secret"):
        SlackApp(bot_token="xoxb-1", signing_secret=" ", channel_ids={CHANNEL})
    with pytest.raises(ValidationError, match="channel_ids"):
        SlackApp(bot_token="xoxb-1", signing_secret="s", channel_ids=set())


def test_app_config_keeps_url_prefixes_ending_in_slash():
    app = SlackApp(
        bot_token="xoxb-1",
        signing_secret="s",
        channel_ids=[CHANNEL],
        file_url_prefix="https://files.slack.com",
    )
    assert app.file_url_prefix == "https://files.slack.com/"
    assert "xoxb-1" not in repr(app)


# --- parsing: our fixtures -----------------------------------------------------------------


def test_url_verification_returns_the_challenge():
    event = parse(fixture("url_verification"))
    assert event.kind == "url_verification"
    assert event.challenge == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


def test_top_level_message_starts_a_thread_keyed_by_its_own_ts():
    event = parse(fixture("top_level_message"))
    message = event.message
    assert event.kind == "message"
    assert message.channel == "slack"
    assert message.external_id == f"{CHANNEL}:{TOP_TS}"
    assert message.thread_key == f"{CHANNEL}:{TOP_TS}"
    assert (message.sender.kind, message.sender.value) == ("slack", "U0CUSTOMER")
    assert message.sender.display_name == "ana"
    # our own mention is dropped and Slack's &amp; &lt; &gt; escapes are undone
    assert message.text == "Hi, my invoice & receipt for order 1042 are missing <urgent>"
    assert message.received_at.timestamp() == pytest.approx(1700000100.0001)
    assert message.meta["event_id"] == "Ev0TOP0001"
    assert message.meta["team_id"] == "T0AUTOCRM"


def test_thread_reply_shares_the_thread_key_of_its_top_level_message():
    top = parse(fixture("top_level_message")).message
    reply = parse(fixture("thread_reply")).message
    assert reply.thread_key == top.thread_key
    assert reply.external_id == f"{CHANNEL}:1700000200.000200"
    assert reply.external_id != top.external_id


def test_a_retried_event_gives_the_same_external_id():
    first = parse(fixture("top_level_message")).message
    retry = parse(fixture("top_level_message")).message
    assert retry.external_id == first.external_id
    assert retry.meta["event_id"] == first.meta["event_id"]


def test_app_mention_and_message_of_one_ts_give_the_same_external_id():
    message = parse(fixture("top_level_message")).message
    mention = parse(fixture("app_mention")).message
    assert mention.meta["event_id"] != message.meta["event_id"]
    assert mention.meta["event_type"] == "app_mention"
    assert mention.external_id == message.external_id
    assert mention.thread_key == message.thread_key
    assert mention.text == message.text


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        ("bot_message", "sent by a bot"),
        ("own_bot_reply", "sent by a bot"),
        ("channel_join", "subtype 'channel_join'"),
        ("unwatched_channel", "not watched"),
        ("message_changed_unfurl", "without a change of text"),
    ],
)
def test_noise_is_ignored_with_a_reason(scenario, reason):
    event = parse(fixture(scenario))
    assert event.kind == "ignore"
    assert event.message is None
    assert reason in event.reason


def test_our_own_bot_user_is_ignored_even_without_bot_id():
    payload = fixture("thread_reply")
    payload["event"]["user"] = BOT
    event = parse(payload)
    assert (event.kind, event.reason) == ("ignore", "sent by our own bot user")


def test_a_watched_channel_list_decides_what_opens_tickets():
    payload = fixture("unwatched_channel")
    assert parse(payload, channels={"C0RANDOM"}).kind == "message"


def test_edit_names_the_edited_message_and_its_thread():
    event = parse(fixture("message_changed"))
    change = event.change
    assert event.kind == "edited"
    assert change.external_id == f"{CHANNEL}:1700000200.000200"  # the reply's own key
    assert change.thread_key == f"{CHANNEL}:{TOP_TS}"
    assert change.text == "It is order 1043, paid by card yesterday."
    assert change.actor.value == "U0CUSTOMER"
    assert change.event_id == "Ev0EDIT0001"


def test_deletion_names_the_deleted_message_and_its_thread():
    event = parse(fixture("message_deleted"))
    assert event.kind == "deleted"
    assert event.change.external_id == f"{CHANNEL}:1700000200.000200"
    assert event.change.thread_key == f"{CHANNEL}:{TOP_TS}"
    assert event.change.text is None


def test_shared_files_are_listed_for_download_and_tombstones_skipped():
    message = parse(fixture("file_share")).message
    assert message.text == "Here is the screenshot of the error"
    assert message.thread_key == f"{CHANNEL}:{TOP_TS}"
    assert message.meta["files"] == [
        {
            "id": "F0SCREEN1",
            "url_private": "https://files.slack.com/files-pri/T0AUTOCRM-F0SCREEN1/error.png",
            "name": "error.png",
            "mimetype": "image/png",
            "size": 48211,
        }
    ]
    assert message.attachments == []  # bytes are fetched later by fetch_file, not while parsing


def test_non_message_payloads_are_ignored():
    assert parse({"type": "app_rate_limited", "minute_rate_limited": 1}).kind == "ignore"
    reaction = {"type": "event_callback", "event": {"type": "reaction_added", "user": "U1"}}
    assert "reaction_added" in parse(reaction).reason


# --- parsing: Slack's own SDK test payloads (shared eval data) ------------------------------


def eval_payloads(*patterns: str) -> list:
    if not EVAL.is_dir():  # one placeholder case, skipped by needs_eval with the reason
        return [pytest.param(None, id="eval-data-missing")]
    paths = sorted({p for pattern in patterns for p in (EVAL / "bolt_python_tests").glob(pattern)})
    return [pytest.param(path, id=path.name) for path in paths]


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def parse_eval(payload: dict, bot_user_id: str | None = None) -> SlackEvent:
    channel = payload.get("event", {}).get("channel")
    watched = {channel} if isinstance(channel, str) else set()
    return parse_event(payload, bot_user_id=bot_user_id, channel_ids=watched)


@needs_eval
@pytest.mark.parametrize("path", eval_payloads("url_verification__*.json"))
def test_eval_url_verification(path):
    payload = load(path)
    assert parse_eval(payload).challenge == payload["challenge"]


@needs_eval
@pytest.mark.parametrize(
    "path",
    eval_payloads(
        "event_callback__app_mention__*.json",
        "event_callback__message__[0-9]*.json",
        "event_callback__message__thread_broadcast__*.json",
        "event_callback__message__file_share__*.json",
    ),
)
def test_eval_messages_are_keyed_by_channel_and_ts(path):
    payload = load(path)
    event, source = parse_eval(payload), payload["event"]
    if event.kind == "ignore":  # other apps' posts and samples lacking ids are rightly skipped
        assert source.get("bot_id") or not all(map(source.get, ("ts", "user", "channel")))
        return
    channel, ts = source["channel"], source["ts"]
    assert event.message.external_id == f"{channel}:{ts}"
    assert event.message.thread_key == f"{channel}:{source.get('thread_ts') or ts}"
    assert event.message.sender == event.message.sender.__class__("slack", source["user"])
    assert len(event.message.meta["files"]) == len(source.get("files", []))


@needs_eval
def test_eval_mention_of_our_bot_is_dropped_from_the_text():
    payload = load(EVAL / "bolt_python_tests" / "event_callback__app_mention__01.json")
    bot = payload["authed_users"][0]  # "W111", the app's bot user in Slack's own test
    assert parse_eval(payload, bot_user_id=bot).message.text == "Hi there!"


@needs_eval
@pytest.mark.parametrize("path", eval_payloads("event_callback__message__bot_message__*.json"))
def test_eval_bot_messages_are_ignored(path):
    event = parse_eval(load(path))
    assert (event.kind, event.reason) == ("ignore", "sent by a bot")


@needs_eval
@pytest.mark.parametrize("path", eval_payloads("event_callback__message__channel_*.json"))
def test_eval_join_and_leave_notices_are_ignored(path):
    assert parse_eval(load(path)).kind == "ignore"


@needs_eval
@pytest.mark.parametrize("path", eval_payloads("event_callback__message__message_changed__*.json"))
def test_eval_edits_name_the_original_message(path):
    source = load(path)["event"]
    event = parse_eval(load(path))
    if "channel" not in source:  # Slack's sample without a channel cannot name a message
        assert event.kind == "ignore"
        return
    original = source.get("previous_message") or source["message"]
    assert event.kind == "edited"
    assert event.change.external_id == f"{source['channel']}:{original['ts']}"
    assert event.change.text == source["message"]["text"]


@needs_eval
def test_eval_deletion_names_the_deleted_message():
    event = parse_eval(
        load(EVAL / "bolt_python_tests/event_callback__message__message_deleted__01.json")
    )
    assert event.kind == "deleted"
    assert event.change.external_id == "C111:1665368619.804829"


@needs_eval
def test_eval_retried_delivery_verifies_and_dedupes():
    envelope = load(EVAL / "bolt_python_tests/socket_mode_envelope__message_with_retry__01.json")
    assert envelope["retry_attempt"] == 1
    body = json.dumps(envelope["payload"]).encode()
    first = parse_eval(json.loads(body))
    retry_headers = load(EVAL / "retry_headers_examples.json")["examples"]
    for example in retry_headers:
        headers = signed_headers("s3cret", 1610197990, body) | example["headers"]
        verify_slack(headers, body, "s3cret", now=1610197990)
        assert parse_eval(json.loads(body)).message.external_id == first.message.external_id
    assert first.message.external_id == "C111:1610197986.000300"


def java_samples() -> list:
    if not EVAL.is_dir():
        return [pytest.param(None, id="eval-data-missing")]
    paths = sorted((EVAL / "java_sdk_json_samples" / "events").glob("*.json"))
    return [pytest.param(path, id=path.stem) for path in paths]


@needs_eval
@pytest.mark.parametrize("path", java_samples())
def test_eval_every_event_shape_parses_without_error(path):
    """Slack's SDK shape samples: every field ever seen, "" and 123 as values."""
    payload = load(path)
    payload["type"] = "event_callback"  # the samples leave it "", which would skip the body
    event = parse_eval(payload)
    assert event.kind in {"message", "edited", "deleted", "ignore"}
    if event.kind == "ignore":
        assert event.reason
