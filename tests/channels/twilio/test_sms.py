"""Twilio SMS adapter: webhook parsing, keyword flags, status callbacks, segment-aware splitting."""

import re

import pytest

from channels.twilio.account import TwilioAccount
from channels.twilio.formatting import markdown_to_plain, segment_count, split_sms
from channels.twilio.parse import parse_sms, parse_status_callback
from channels.twilio.send import SmsChannel
from store.messages import Identity

CUSTOMER, OURS = "+14155550100", "+18005550199"


def incoming(body: str = "Where is my order?", **extra: str) -> dict[str, str]:
    return {
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": "AC" + "b" * 32,
        "From": CUSTOMER,
        "To": OURS,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SomethingTwilioAddsLater": "ignored",
        **extra,
    }


def test_sms_becomes_message_in_the_number_pair_thread():
    msg = parse_sms(incoming(), account_id=7)
    assert msg.channel == "twilio_sms"
    assert msg.external_id == "SM" + "a" * 32
    assert msg.thread_key == f"{CUSTOMER}|{OURS}"
    assert msg.sender == Identity("phone", CUSTOMER)
    assert msg.text == "Where is my order?"
    assert msg.account_id == 7
    assert msg.flags == set()
    assert msg.meta["media"] == []
    assert b"Body=Where+is+my+order%3F" in msg.raw


def test_mms_lists_media_urls_and_types_in_order():
    params = incoming(
        "",
        NumMedia="2",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM1/Media/ME0",
        MediaContentType0="image/jpeg",
        MediaUrl1="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM1/Media/ME1",
        MediaContentType1="application/pdf",
    )
    msg = parse_sms(params)
    assert msg.text == ""
    assert [m["content_type"] for m in msg.meta["media"]] == ["image/jpeg", "application/pdf"]
    assert msg.meta["media"][1]["url"].endswith("/Media/ME1")


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", " quit. "])
def test_opt_out_keywords_flag_the_message(word):
    msg = parse_sms(incoming(word))
    assert msg.flags == {"opt_out"}
    assert msg.meta["keyword"] == "stop"


@pytest.mark.parametrize("word", ["START", "yes", "Unstop"])
def test_opt_in_keywords_flag_the_message(word):
    assert parse_sms(incoming(word)).flags == {"opt_in"}


def test_keyword_inside_a_sentence_is_an_ordinary_message():
    msg = parse_sms(incoming("Please stop the second delivery, I want to cancel it"))
    assert msg.flags == set()
    assert "keyword" not in msg.meta


def test_help_is_noted_but_not_noise():
    msg = parse_sms(incoming("HELP"))
    assert msg.flags == set()
    assert msg.meta["keyword"] == "help"


def test_advanced_opt_out_type_wins_over_body():
    # A custom opt-out keyword ("ARRET") configured in Twilio arrives with OptOutType=STOP.
    assert parse_sms(incoming("ARRET", OptOutType="STOP")).flags == {"opt_out"}


def test_webhook_without_sid_is_rejected():
    params = incoming()
    del params["MessageSid"]
    with pytest.raises(ValueError, match="MessageSid"):
        parse_sms(params)


def test_undelivered_status_callback_carries_the_error_code():
    status = parse_status_callback(
        {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003", "To": CUSTOMER}
    )
    assert status == {
        "message_sid": "SM1",
        "status": "undelivered",
        "error_code": 30003,
        "failed": True,
        "to": CUSTOMER,
    }


def test_delivered_status_callback_is_not_a_failure():
    status = parse_status_callback({"MessageSid": "SM1", "MessageStatus": "delivered"})
    assert status["failed"] is False
    assert status["error_code"] is None


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("x" * 160, 1),
        ("x" * 161, 2),
        ("x" * 306, 2),
        ("x" * 307, 3),
        ("é" * 160, 1),  # é is in the GSM-7 alphabet
        ("€" * 80, 1),  # extension table: two units each
        ("€" * 81, 2),
        ("ł" * 70, 1),  # not GSM-7: UCS-2, 70 per segment
        ("ł" * 71, 2),
        ("😀" * 35, 1),  # a surrogate pair is two UCS-2 units
        ("😀" * 36, 2),
    ],
)
def test_segment_count_follows_gsm7_and_ucs2_rules(text, segments):
    assert segment_count(text) == segments


def test_short_reply_is_one_plain_part():
    assert split_sms("**Yes** — your order `#42` shipped.") == ["Yes - your order #42 shipped."]


def test_markdown_becomes_plain_text():
    plain = markdown_to_plain(
        "## Reset\n\n1. Open **Settings**\n* Click [Reset](https://ex.com/r)\n> note\n"
        "keep reset_password_now\n```\nraw\n```"
    )
    assert plain == (
        "Reset\n\n1. Open Settings\n- Click Reset (https://ex.com/r)\nnote\n"
        "keep reset_password_now\nraw"
    )


def test_long_reply_splits_between_sentences_within_limits():
    sentences = [f"Step {i} is to check the box labelled number {i}." for i in range(1, 30)]
    parts = split_sms(" ".join(sentences), limit=160, max_segments=1)
    assert len(parts) > 1
    for part in parts:
        assert len(part) <= 160 and segment_count(part) == 1
        assert part.endswith(".")  # every break falls after a sentence
    assert " ".join(parts) == " ".join(sentences)


def test_a_sentence_longer_than_a_part_splits_between_words():
    words = [f"word{i:02d}" for i in range(60)]
    parts = split_sms(" ".join(words), limit=100, max_segments=1)
    assert all(len(p) <= 100 for p in parts)
    assert " ".join(parts).split() == words


def test_an_unbroken_token_is_cut_hard():
    parts = split_sms("a" * 350, limit=160, max_segments=1)
    assert [len(p) for p in parts] == [160, 160, 30]


def test_ucs2_text_gets_smaller_parts():
    text = "Zażółć gęślą jaźń. " * 20
    parts = split_sms(text, max_segments=1)
    assert all(len(p.encode("utf-16-le")) // 2 <= 70 for p in parts)
    assert re.sub(r"\s+", " ", " ".join(parts)) == text.strip()


def test_typographic_quotes_do_not_force_ucs2():
    parts = split_sms("It\u2019s \u201cdone\u201d \u2014 thanks\u2026")
    assert parts == ['It\'s "done" - thanks...']
    assert segment_count(parts[0]) == 1


def test_channel_declares_plain_text_limits():
    account = TwilioAccount(
        account_sid="AC" + "c" * 32,
        auth_token="token",
        number=OURS,
        public_base_url="https://help.example.com/",
    )
    channel = SmsChannel(account)
    assert channel.name == "twilio_sms"
    assert channel.limits.max_text == 1600 and not channel.limits.markdown
    assert account.url("/webhooks/x", turn=1) == "https://help.example.com/webhooks/x?turn=1"


def test_account_rejects_a_number_that_is_not_e164():
    with pytest.raises(ValueError, match="number"):
        TwilioAccount(
            account_sid="AC" + "c" * 32,
            auth_token="token",
            number="0800 555 0199",
            public_base_url="https://help.example.com",
        )
