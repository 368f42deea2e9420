"""Twilio voice: the TwiML for each step of a support call (the call's messages: parse.py).

A call goes: greet_and_record -> (recording or speech arrives) hold, polling -> speak_answer,
ask_again or escalate. `turn` counts the caller's utterances; it rides in our callback URLs so
each utterance gets a stable idempotency key even when Twilio redelivers a webhook.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from twilio.twiml.voice_response import VoiceResponse

from channels.twilio.account import TwilioAccount
from channels.twilio.formatting import speakable

ListenMode = Literal["record", "gather"]

GREETING = "Thanks for calling. Please tell us how we can help after the beep, then press pound."
HOLD = "Thanks. One moment while we look into that."
FOLLOW_UP = "Is there anything else we can help with? Speak after the beep, or just hang up."
NOTHING_HEARD = "Sorry, we did not hear anything. Please call again or send us a text. Goodbye."
CONNECTING = "Connecting you to a member of our team."
TEXT_BACK = "A member of our team will text you back at this number shortly. Goodbye."


def _say(response: VoiceResponse, account: TwilioAccount | None, text: str) -> None:
    language = account.voice_language if account else None
    response.say(speakable(text), voice=account.voice if account else None, language=language)


def _listen(
    response: VoiceResponse, account: TwilioAccount, mode: ListenMode, turn: int, max_length: int
) -> None:
    if mode == "gather":
        # Twilio's own recogniser; the action gets SpeechResult (see parse_call).
        response.gather(
            input="speech",
            action=account.url(account.voice_gather_path, turn=turn),
            method="POST",
            speech_timeout="auto",
            language=account.voice_language,
            action_on_empty_result=True,
        )
        return
    # Local transcription: the status callback says when the audio file can be fetched.
    response.record(
        action=account.url(account.voice_recorded_path, turn=turn),
        method="POST",
        max_length=max_length,
        timeout=5,
        finish_on_key="#",
        play_beep=True,
        trim="trim-silence",
        recording_status_callback=account.url(account.voice_recording_status_path, turn=turn),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    # Reached only when <Record> heard nothing (Twilio then skips the action URL).
    _say(response, account, NOTHING_HEARD)
    response.hangup()


def greet_and_record(
    account: TwilioAccount,
    *,
    greeting: str = GREETING,
    mode: ListenMode = "record",
    max_length: int = 60,
    turn: int = 0,
) -> str:
    """First TwiML of an incoming call: greet, then record (or gather) the caller's question."""
    response = VoiceResponse()
    _say(response, account, greeting)
    _listen(response, account, mode, turn, max_length)
    return str(response)


def hold(
    account: TwilioAccount,
    *,
    turn: int,
    attempt: int = 0,
    message: str | None = HOLD,
    pause_seconds: int = 3,
) -> str:
    """Keep the caller while the agent decides: pause, then ask the poll URL again.

    The poll route answers with another hold() (message=None, attempt + 1) until a decision is
    ready, and should give up on a high `attempt` with escalate().
    """
    response = VoiceResponse()
    if message:
        _say(response, account, message)
    response.pause(length=pause_seconds)
    poll = account.url(account.voice_poll_path, turn=turn, attempt=attempt + 1)
    response.redirect(poll, method="POST")
    return str(response)


def speak_answer(
    text: str,
    *,
    account: TwilioAccount | None = None,
    turn: int | None = None,
    follow_up: str | None = FOLLOW_UP,
    mode: ListenMode = "record",
    max_length: int = 60,
) -> str:
    """Say the answer; with an account and turn, offer to listen again, else say goodbye."""
    response = VoiceResponse()
    _say(response, account, text)
    if account is not None and turn is not None and follow_up:
        _say(response, account, follow_up)
        _listen(response, account, mode, turn + 1, max_length)
    else:
        _say(response, account, "Goodbye.")
        response.hangup()
    return str(response)


def ask_again(
    account: TwilioAccount,
    question: str,
    *,
    turn: int,
    mode: ListenMode = "record",
    max_length: int = 60,
) -> str:
    """Ask a clarifying question and listen for the next utterance (turn + 1)."""
    response = VoiceResponse()
    _say(response, account, question)
    _listen(response, account, mode, turn + 1, max_length)
    return str(response)


def escalate(account: TwilioAccount, now: datetime, *, dial_timeout: int = 20) -> str:
    """Put a human on the line when one can be dialled now; otherwise promise a text back."""
    response = VoiceResponse()
    hours = account.business_hours
    if account.agent_dial_number and (hours is None or hours.is_open(now)):
        _say(response, account, CONNECTING)
        # The action decides what follows the <Dial> (see dial_result); without it Twilio would
        # run the next verb even after a completed conversation with the agent.
        response.dial(
            account.agent_dial_number,
            action=account.url(account.voice_dial_status_path),
            method="POST",
            timeout=dial_timeout,
            answer_on_bridge=True,
        )
        return str(response)
    _say(response, account, TEXT_BACK)
    response.hangup()
    return str(response)


def dial_result(account: TwilioAccount, params: Mapping[str, Any]) -> str:
    """TwiML for the <Dial> action: hang up after a call, else promise a text back."""
    response = VoiceResponse()
    if params.get("DialCallStatus") != "completed":
        _say(response, account, TEXT_BACK)
    response.hangup()
    return str(response)
