"""Triage from text alone and replies fitted to each channel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent_graph.language import asks_for_human, detect_language, sentiment
from agent_graph.replies import clarify_question, for_channel, max_chars, strip_markdown
from channels.registry import SPECS
from store.agent.conditions import conditions_match, in_window
from store.messages import Limits


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("How do I reset my password?", "en"),
        ("Wie kann ich mein Passwort zurücksetzen?", "de"),
        ("Comment réinitialiser mon mot de passe ?", "fr"),
        ("¿Cómo restablezco mi contraseña?", "es"),
        ("Non riesco ad accedere, come posso fare?", "it"),
        ("12345", "en"),
    ],
)
def test_detects_the_language(text, lang):
    assert detect_language(text) == lang


def test_sentiment_reads_anger_negation_and_thanks():
    assert sentiment("This is TERRIBLE, I want a refund now!!!") <= -0.5
    assert sentiment("Thanks, that was helpful") > 0.3
    assert sentiment("not good at all") < 0
    assert sentiment("How do I reset my password?") == 0


@pytest.mark.parametrize(
    "text",
    ["I want to talk to a real person", "Can I speak to someone?", "Ich möchte einen Mitarbeiter"],
)
def test_asking_for_a_human(text):
    assert asks_for_human(text)


def test_no_human_asked_for():
    assert not asks_for_human("My humanities course login fails")


MARKDOWN = (
    "## Reset\nChoose **Forgot password** on the [sign-in page](https://x.test/login).\n\n"
    "- step one"
)


def limits(channel: str) -> Limits:
    """What the gateway hands the agent: the registered channel's own Limits."""
    return SPECS[channel].limits


def test_sms_is_plain_and_short():
    text = for_channel(MARKDOWN + " More words." * 80, "twilio_sms", limits("twilio_sms"))
    assert "**" not in text and "##" not in text and "\n" not in text
    assert "sign-in page (https://x.test/login)" in text and len(text) <= 480



LINK = "https://help.example.test/help/articles/12"


def test_sms_cites_title_and_short_link_when_both_fit():
    sms = limits("twilio_sms")
    assert for_channel("Short.", "twilio_sms", sms, source="Reset", link=LINK) == (
        f"Short. Source: Reset ({LINK})"
    )
    long_title = "A very long article title " * 5
    text = for_channel("Short." * 200, "twilio_sms", sms, source=long_title, link=LINK)
    assert text.endswith(f"Source: {LINK}") and len(text) <= 480  # the link, never cut off


def test_chat_and_email_name_the_title_and_the_help_centre_link():
    for channel in ("webchat", "email", "slack"):
        text = for_channel("Answer." * 600, channel, limits(channel), source="Reset", link=LINK)
        assert text.endswith(f"\n\nSource: Reset ({LINK})")
        assert len(text) <= (max_chars(channel, limits(channel)) or len(text))


def test_email_is_plain_text_as_its_limits_say_and_names_its_source():
    text = for_channel(MARKDOWN, "email", limits("email"), source="Reset your password")
    assert text == (
        "Reset\nChoose Forgot password on the sign-in page (https://x.test/login).\n\n"
        "- step one\n\nSource: Reset your password"
    )
    assert for_channel("Hallo", "email", limits("email"), source="Passwort", language="de") == (
        "Hallo\n\nQuelle: Passwort"
    )


def test_slack_keeps_its_markdown():
    assert for_channel(MARKDOWN, "slack", limits("slack")).startswith("## Reset\nChoose **Forgot")


def test_voice_is_one_spoken_line_that_says_the_title_and_no_link():
    text = for_channel(MARKDOWN, "twilio_voice", limits("twilio_voice"), source="Reset", link=LINK)
    assert text == (
        "Reset Choose Forgot password on the sign-in page (https://x.test/login). - step one"
        " This is from our help article Reset."
    )


@pytest.mark.parametrize("channel", sorted(SPECS))
def test_no_reply_breaks_its_channels_limits(channel):
    lim = limits(channel)
    text = for_channel(MARKDOWN + " More words." * 2000, channel, lim, source="A title")
    longest = max_chars(channel, lim)
    assert longest is None or longest <= (lim.max_text or longest)
    assert longest is None or len(text) <= longest
    assert lim.markdown or ("**" not in text and "## " not in text)


def test_the_bot_keeps_replies_shorter_than_some_channels_allow():
    assert max_chars("twilio_sms", limits("twilio_sms")) == 480  # of 1,600
    assert max_chars("webchat", limits("webchat")) == 2000  # of 5,000
    assert max_chars("email", limits("email")) is None
    # never more than the channel takes, whatever the bot would like
    assert max_chars("slack", Limits(max_text=1000, markdown=True)) == 1000


def test_an_undeclared_channel_gets_plain_text_of_any_length():
    text = for_channel(MARKDOWN + " More words." * 2000, "api", source="Reset")
    assert "**" not in text and len(text) > 20_000 and text.endswith("Source: Reset")


def test_snake_case_and_urls_keep_their_underscores():
    assert strip_markdown("see https://x.test/reset_my_password and card_arrival, _really_") == (
        "see https://x.test/reset_my_password and card_arrival, really"
    )


def test_clarifying_question_names_every_option_in_the_language():
    assert clarify_question(["card_arrival", "card_delivery_estimate"], "en") == (
        "Do you mean “card arrival” or “card delivery estimate”?"
    )
    assert clarify_question(["a", "b", "c"], "de") == "Meinen Sie “a”, “b” oder “c”?"


FACTS = {
    "text": "My lawyer says this is a scam",
    "vip": False,
    "sentiment": -0.6,
    "asks_human": False,
    "intent": "refund",
    "channel": "email",
    "language": "en",
    "bot_turns": 2,
    "confidence": 0.3,
}
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("conditions", "fires"),
    [
        ({}, True),
        ({"keywords": ["LAWYER"]}, True),
        ({"keywords": ["refund"]}, False),
        ({"sentiment_below": -0.5, "channels": ["email"]}, True),
        ({"sentiment_below": -0.5, "channels": ["twilio_sms"]}, False),
        ({"vip": True}, False),
        ({"min_bot_turns": 2, "intents": ["refund"]}, True),
        ({"confidence_below": 0.25}, False),
        ({"window": {"timezone": "UTC", "days": [1], "start": "09:00", "end": "17:00"}}, True),
        ({"window": {"timezone": "Asia/Tokyo", "start": "09:00", "end": "17:00"}}, False),
    ],
)
def test_escalation_conditions_all_must_hold(conditions, fires):
    assert conditions_match(conditions, FACTS, NOON) is fires


def test_a_window_across_midnight():
    night = {"timezone": "UTC", "start": "22:00", "end": "06:00"}
    assert in_window(night, NOON.replace(hour=23)) and in_window(night, NOON.replace(hour=5))
    assert not in_window(night, NOON)


def test_routing_conditions():
    facts = {
        "channel": "email",
        "intent": "refund",
        "language": "de",
        "tags": ["vip"],
        "priority": "high",
        "vip": True,
    }
    assert conditions_match({"languages": ["de"], "tags": ["VIP"]}, facts, NOON)
    assert not conditions_match({"priorities": ["urgent"]}, facts, NOON)
