"""Twilio voice: TwiML for each step of a support call, and call/recording webhooks as messages.

A call goes: greet_and_record -> (recording or speech arrives) hold, polling -> speak_answer,
ask_again or escalate. `turn` counts the caller's utterances; it rides in our callback URLs so
each utterance gets a stable idempotency key even when Twilio redelivers a webhook.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from twilio.twiml.voice_response import VoiceResponse

from channels.twilio.common import TwilioAccount, markdown_to_plain
from store.messages import Identity, InboundMessage, Limits

if TYPE_CHECKING:
    from channels.twilio.transcribe import Transcript

CHANNEL = "twilio_voice"
# <Say> takes up to 4096 characters (https://www.twilio.com/docs/voice/twiml/say).
LIMITS = Limits(max_text=4000, markdown=False, html=False, attachments=False, speech_only=True)
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


_URL = re.compile(r"\s*\(?(?:https?://|www\.)[^\s)]*[^\s).,;:!?]\)?")


def speakable(text: str, max_chars: int = LIMITS.max_text or 4000) -> str:
    """Text a voice can read: no Markdown, links, emoji or list marks; lines become sentences."""
    plain = _URL.sub("", markdown_to_plain(text))
    plain = "".join(c for c in plain if unicodedata.category(c) not in ("So", "Cs", "Co"))
    sentences = []
    for line in plain.splitlines():
        line = re.sub(r"^\s*(?:-|\d+[.)])\s+", "", line).strip(" \t:")
        if line:
            sentences.append(line if line[-1] in ".!?" else line + ".")
    spoken = re.sub(r"\s+([.,;!?])", r"\1", re.sub(r"\s{2,}", " ", " ".join(sentences)))
    if len(spoken) <= max_chars:
        return spoken
    cut = spoken[:max_chars]
    return cut[: cut.rfind(". ") + 1] or cut


def _caller(params: Mapping[str, Any], fallback: str | None) -> str:
    number = params.get("From") or params.get("Caller") or fallback
    if not number:
        raise ValueError("Twilio webhook has no From/Caller; pass the caller's number")
    return number


def _call_meta(params: Mapping[str, Any], turn: int | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"call_sid": params["CallSid"], "turn": turn}
    ours = params.get("To") or params.get("Called")
    if ours:
        meta["our_number"] = ours
        meta["number_pair"] = f"{_caller(params, None)}|{ours}"
    for key, name in (("CallStatus", "call_status"), ("Direction", "direction"),
                      ("CallerName", "caller_name"), ("Confidence", "confidence")):  # fmt: skip
        if params.get(key):
            meta[name] = params[key]
    return meta


def parse_call(
    params: Mapping[str, Any], *, turn: int | None = None, account_id: int | None = None
) -> InboundMessage:
    """A voice webhook (incoming call or <Gather> result) as a message keyed by CallSid.

    external_id: "<CallSid>:speech:<turn>", "<CallSid>:digits:<turn>", or "<CallSid>:call" for
    the call's start (text "", nothing for the agent to answer yet).
    """
    call_sid = params.get("CallSid")
    if not call_sid:
        raise ValueError("Twilio voice webhook is missing CallSid")
    speech, digits = params.get("SpeechResult"), params.get("Digits")
    if speech is not None or digits is not None:
        kind = "speech" if speech is not None else "digits"
        external_id, text = f"{call_sid}:{kind}:{turn or 0}", speech or digits or ""
    else:
        external_id, text = f"{call_sid}:call", ""
    return _heard(
        call_sid,
        external_id,
        _caller(params, None),
        text,
        account_id,
        meta=_call_meta(params, turn),
    )


def recording_ready(params: Mapping[str, Any]) -> bool:
    """True when a recording callback says there is audio to fetch and transcribe."""
    return params.get("RecordingStatus", "completed") == "completed" and bool(
        params.get("RecordingUrl")
    )


def recording_audio_url(params: Mapping[str, Any]) -> str:
    """The WAV of a recording (Twilio serves .wav or .mp3 by extension)."""
    return params["RecordingUrl"] + ".wav"


def parse_recording(
    params: Mapping[str, Any],
    *,
    transcript: Transcript | str | None = None,
    caller: str | None = None,
    turn: int | None = None,
    account_id: int | None = None,
) -> InboundMessage:
    """A recording (status callback or <Record> action) plus its transcript, keyed by
    RecordingSid. Status callbacks carry no From: pass `caller` (e.g. from the call's ticket).
    """
    recording_sid, call_sid = params.get("RecordingSid"), params.get("CallSid")
    if not recording_sid or not call_sid:
        raise ValueError("Twilio recording webhook is missing RecordingSid or CallSid")
    text = transcript if isinstance(transcript, str) else transcript.text if transcript else ""
    meta = _call_meta({**params, "From": _caller(params, caller)}, turn)
    meta |= {"recording_sid": recording_sid, "recording_status": params.get("RecordingStatus")}
    meta |= {"recording_url": params.get("RecordingUrl"), "error_code": params.get("ErrorCode")}
    meta["recording_duration"] = int(params.get("RecordingDuration") or 0)
    heard = _heard(call_sid, recording_sid, _caller(params, caller), text, account_id, meta=meta)
    heard.language = getattr(transcript, "language", None)
    return heard


def _heard(
    call_sid: str, external_id: str, caller: str, text: str, account_id: int | None, *, meta: dict
) -> InboundMessage:
    """What the caller said on a call's ticket; silence is kept, flagged no_speech."""
    return InboundMessage(
        channel=CHANNEL,
        external_id=external_id,
        thread_key=call_sid,
        sender=Identity("phone", caller),
        text=text.strip(),
        account_id=account_id,
        flags=set() if text.strip() else {"no_speech"},
        meta=meta,
    )
