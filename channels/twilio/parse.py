"""Twilio webhooks (texts, status callbacks, calls, recordings) -> InboundMessage. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from channels.twilio.account import E164
from channels.twilio.limits import SMS_CHANNEL, VOICE_CHANNEL
from store.contacts.names import caller_name
from store.messages import Identity, InboundMessage

if TYPE_CHECKING:
    from channels.twilio.transcribe import Transcript

# Twilio's default keyword sets (Messaging "Advanced Opt-Out" defaults): a message that is only
# one of these words changes the number's subscription; Twilio itself blocks sends after STOP.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Set on the contact's attributes when they text STOP (False again on START); the send job
# passes the attributes in outbound.meta["contact_attributes"].
OPT_OUT_ATTRIBUTE = "sms_opt_out"


def _webhook_error(what: str) -> ValueError:
    return ValueError(f"Twilio webhook is missing {what}")


def parse_sms(params: Mapping[str, Any], *, account_id: int | None = None) -> InboundMessage:
    """An incoming-message webhook as one InboundMessage; media stay URLs in meta["media"]."""
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or params.get("SmsSid")
    sender, ours = params.get("From"), params.get("To")
    if not sid or not sender or not ours:
        raise _webhook_error("MessageSid, From or To")
    if not re.fullmatch(E164, str(sender)):
        # Whatever it is, it cannot be answered by SMS (and must never become a recipient).
        raise ValueError(f"From must be an E.164 phone number such as +14155550100, not {sender!r}")
    body = params.get("Body") or ""
    keyword = _keyword(body, params.get("OptOutType"))
    flags = {"opt_out"} if keyword == "stop" else {"opt_in"} if keyword == "start" else set()
    meta: dict[str, Any] = {"media": _media(params), "our_number": ours}
    meta |= {"keyword": keyword} if keyword else {}
    for key, name in (("NumSegments", "num_segments"), ("MessagingServiceSid", "service_sid"),
                      ("AccountSid", "account_sid"), ("FromCountry", "from_country")):  # fmt: skip
        if params.get(key):
            meta[name] = params[key]
    return InboundMessage(
        channel=SMS_CHANNEL,
        external_id=sid,
        thread_key=f"{sender}|{ours}",
        sender=Identity("phone", sender),
        text=body,
        account_id=account_id,
        flags=flags,
        raw=urlencode(list(params.items())).encode(),
        meta=meta,
    )


def _keyword(body: str, opt_out_type: str | None) -> str | None:
    # Advanced Opt-Out tells us which keyword class matched; otherwise match the defaults.
    if opt_out_type:
        return opt_out_type.strip().lower()
    word = body.strip().rstrip(".!").upper()
    if word in OPT_OUT_WORDS:
        return "stop"
    if word in OPT_IN_WORDS:
        return "start"
    return "help" if word in HELP_WORDS else None


def _media(params: Mapping[str, Any]) -> list[dict[str, str]]:
    count = int(params.get("NumMedia") or 0)
    items = []
    for i in range(count):
        url = params.get(f"MediaUrl{i}")
        if url:
            kind = params.get(f"MediaContentType{i}") or "application/octet-stream"
            items.append({"url": url, "content_type": kind})
    return items


def parse_status_callback(params: Mapping[str, Any]) -> dict[str, Any]:
    """An outbound message's status callback: which message, its status, Twilio's error code."""
    sid = params.get("MessageSid") or params.get("SmsSid")
    status = params.get("MessageStatus") or params.get("SmsStatus")
    if not sid or not status:
        raise _webhook_error("MessageSid or MessageStatus")
    code = params.get("ErrorCode")
    return {
        "message_sid": sid,
        "status": status,
        "error_code": int(code) if code else None,
        "failed": status in ("failed", "undelivered"),
        "to": params.get("To"),
    }


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
        channel=VOICE_CHANNEL,
        external_id=external_id,
        thread_key=call_sid,
        sender=Identity("phone", caller, caller_name(meta.get("caller_name"))),
        text=text.strip(),
        account_id=account_id,
        flags=set() if text.strip() else {"no_speech"},
        meta=meta,
    )
