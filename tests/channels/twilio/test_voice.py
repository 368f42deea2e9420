"""Twilio voice adapter: TwiML for each call step, read back verb by verb, and call parsing."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from channels.twilio.account import BusinessHours, TwilioAccount
from channels.twilio.formatting import speakable
from channels.twilio.parse import parse_call, parse_recording
from channels.twilio.transcribe import Transcript
from channels.twilio.voice import (
    ask_again,
    dial_result,
    escalate,
    greet_and_record,
    hold,
    speak_answer,
)

BASE = "https://help.example.com"
CALLER, OURS, AGENT = "+14155550100", "+18005550199", "+14155550142"
CALL = "CA" + "d" * 32
# Monday 6 Jan 2025: 15:00 UTC is 10:00 in New York (open), 23:30 UTC is 18:30 (closed).
MONDAY_MORNING_NY = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
MONDAY_EVENING_NY = datetime(2025, 1, 6, 23, 30, tzinfo=UTC)
SATURDAY_MORNING_NY = datetime(2025, 1, 11, 15, 0, tzinfo=UTC)


def account(**overrides) -> TwilioAccount:
    values = {
        "account_sid": "AC" + "c" * 32,
        "auth_token": "token",
        "number": OURS,
        "public_base_url": BASE + "/",
        "agent_dial_number": AGENT,
        "business_hours": BusinessHours(timezone="America/New_York"),
        **overrides,
    }
    return TwilioAccount(**values)


def verbs(twiml: str) -> list[ET.Element]:
    root = ET.fromstring(twiml)
    assert root.tag == "Response"
    return list(root)


def tags(twiml: str) -> list[str]:
    return [verb.tag for verb in verbs(twiml)]


def test_greeting_says_hello_then_records_to_our_urls():
    say, record, fallback, hangup = verbs(greet_and_record(account(), greeting="Hi there."))
    assert (say.tag, say.text) == ("Say", "Hi there.")
    assert record.tag == "Record"
    assert record.get("action") == f"{BASE}/channels/twilio/voice/recorded?turn=0"
    assert record.get("recordingStatusCallback") == f"{BASE}/channels/twilio/voice/recording?turn=0"
    assert record.get("recordingStatusCallbackEvent") == "completed absent"
    assert record.get("maxLength") == "60"
    assert record.get("method") == "POST"
    assert fallback.tag == "Say" and "did not hear" in fallback.text
    assert hangup.tag == "Hangup"


def test_gather_mode_listens_with_twilio_speech_recognition():
    say, gather = verbs(greet_and_record(account(voice_language="de-DE"), mode="gather"))
    assert say.get("language") == "de-DE"
    assert gather.tag == "Gather"
    assert gather.get("input") == "speech"
    assert gather.get("action") == f"{BASE}/channels/twilio/voice/gather?turn=0"
    assert gather.get("language") == "de-DE"


def test_hold_pauses_and_polls_for_the_decision():
    say, pause, redirect = verbs(hold(account(), turn=2, pause_seconds=4))
    assert say.tag == "Say"
    assert (pause.tag, pause.get("length")) == ("Pause", "4")
    assert redirect.tag == "Redirect"
    assert redirect.text == f"{BASE}/channels/twilio/voice/poll?turn=2&attempt=1"


def test_repeated_hold_stays_quiet_and_counts_attempts():
    twiml = hold(account(), turn=2, attempt=3, message=None)
    assert tags(twiml) == ["Pause", "Redirect"]
    assert verbs(twiml)[1].text.endswith("attempt=4")


def test_answer_is_spoken_without_markdown_or_links_then_listens_again():
    answer = "## Steps\n1. Open **Settings** 🙂\n2. Click [Reset](https://ex.com/r). Done"
    answer_say, follow_up, record, *_ = verbs(speak_answer(answer, account=account(), turn=0))
    assert answer_say.text == "Steps. Open Settings. Click Reset. Done."
    assert follow_up.tag == "Say" and "anything else" in follow_up.text
    assert record.get("action").endswith("/recorded?turn=1")


def test_answer_without_a_turn_ends_the_call():
    assert tags(speak_answer("Your order shipped.")) == ["Say", "Say", "Hangup"]


def test_clarifying_question_listens_for_the_next_turn():
    say, record, *_ = verbs(ask_again(account(), "Which order do you mean?", turn=1))
    assert say.text == "Which order do you mean?"
    assert record.get("recordingStatusCallback").endswith("/recording?turn=2")


def test_escalation_in_business_hours_dials_the_agent():
    say, dial = verbs(escalate(account(), MONDAY_MORNING_NY))
    assert say.tag == "Say"
    assert (dial.tag, dial.text) == ("Dial", AGENT)
    assert dial.get("action") == f"{BASE}/channels/twilio/voice/dial"


@pytest.mark.parametrize("now", [MONDAY_EVENING_NY, SATURDAY_MORNING_NY])
def test_escalation_out_of_hours_promises_a_text_back(now):
    say, hangup = verbs(escalate(account(), now))
    assert "text you back" in say.text
    assert hangup.tag == "Hangup"


def test_escalation_without_an_agent_number_promises_a_text_back():
    assert tags(escalate(account(agent_dial_number=None), MONDAY_MORNING_NY)) == ["Say", "Hangup"]


def test_escalation_without_business_hours_dials_at_any_time():
    twiml = escalate(account(business_hours=None), SATURDAY_MORNING_NY)
    assert tags(twiml) == ["Say", "Dial"]


def test_unanswered_dial_promises_a_text_back_and_answered_one_just_ends():
    assert tags(dial_result(account(), {"DialCallStatus": "no-answer"})) == ["Say", "Hangup"]
    assert tags(dial_result(account(), {"DialCallStatus": "completed"})) == ["Hangup"]


def test_business_hours_reject_an_unknown_timezone():
    with pytest.raises(ValueError):
        BusinessHours(timezone="Mars/Olympus_Mons")


def call_params(**extra: str) -> dict[str, str]:
    return {"CallSid": CALL, "From": CALLER, "To": OURS, "CallStatus": "in-progress", **extra}


def test_speech_result_is_one_turn_of_the_call_thread():
    msg = parse_call(call_params(SpeechResult="I need a refund", Confidence="0.91"), turn=1)
    assert msg.channel == "twilio_voice"
    assert msg.external_id == f"{CALL}:speech:1"
    assert msg.thread_key == CALL
    assert msg.sender.value == CALLER and msg.sender.kind == "phone"
    assert msg.text == "I need a refund"
    assert msg.meta["number_pair"] == f"{CALLER}|{OURS}"
    assert msg.meta["confidence"] == "0.91"
    assert msg.flags == set()


def test_call_start_has_no_text_for_the_agent():
    msg = parse_call(call_params())
    assert msg.external_id == f"{CALL}:call"
    assert msg.flags == {"no_speech"}


def test_empty_speech_result_is_flagged():
    assert parse_call(call_params(SpeechResult=""), turn=0).flags == {"no_speech"}


def recording_params(**extra: str) -> dict[str, str]:
    return {
        "CallSid": CALL,
        "RecordingSid": "RE" + "e" * 32,
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        "RecordingStatus": "completed",
        "RecordingDuration": "7",
        **extra,
    }


def test_recording_with_transcript_becomes_the_callers_message():
    transcript = Transcript("I need help with my password.", "en", 7.0, 0.8)
    msg = parse_recording(recording_params(), transcript=transcript, caller=CALLER, turn=0)
    assert msg.external_id == "RE" + "e" * 32
    assert msg.thread_key == CALL
    assert msg.sender.value == CALLER
    assert msg.text == "I need help with my password."
    assert msg.language == "en"
    assert msg.meta["recording_duration"] == 7


def test_recording_action_callback_names_the_caller_itself():
    msg = parse_recording(recording_params(From=CALLER, To=OURS), transcript="Hello")
    assert msg.sender.value == CALLER
    assert msg.meta["number_pair"] == f"{CALLER}|{OURS}"


def test_absent_recording_is_flagged_no_speech():
    params = recording_params(RecordingStatus="absent", ErrorCode="16101")
    del params["RecordingUrl"]
    msg = parse_recording(params, caller=CALLER)
    assert msg.flags == {"no_speech"}
    assert msg.meta["error_code"] == "16101"


def test_recording_without_any_caller_number_is_refused():
    with pytest.raises(ValueError, match="caller"):
        parse_recording(recording_params(), transcript="Hello")


def test_speakable_drops_bare_links_and_keeps_sentences():
    text = "Visit https://ex.com/help?x=1. Or call us.\n- Option one\n- Option two"
    assert speakable(text) == "Visit. Or call us. Option one. Option two."


def test_speakable_cuts_long_text_at_a_sentence():
    spoken = speakable("This is a sentence. " * 400, max_chars=100)
    assert len(spoken) <= 100 and spoken.endswith("sentence.")


def test_keypad_digits_are_the_turns_text():
    msg = parse_call(call_params(Digits="2", FinishedOnKey=""), turn=3)
    assert (msg.external_id, msg.text) == (f"{CALL}:digits:3", "2")
