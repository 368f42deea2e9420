"""Twilio SMS/MMS: parse inbound webhooks and status callbacks, split and send replies."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from twilio.base.exceptions import TwilioRestException

from channels.base import SendError
from channels.twilio.common import (
    E164,
    MediaError,
    MediaTooLarge,
    TwilioAccount,
    fetch_media,
    markdown_to_plain,
    rest_client,
)
from store.messages import Identity, InboundMessage, Limits, OutboundMessage, Receipt

__all__ = [
    "MediaError",
    "MediaTooLarge",
    "PartialSendError",
    "SmsChannel",
    "fetch_media",
    "parse_sms",
    "parse_status_callback",
    "segment_count",
    "split_sms",
]

CHANNEL = "twilio_sms"
# Twilio's default keyword sets (Messaging "Advanced Opt-Out" defaults): a message that is only
# one of these words changes the number's subscription; Twilio itself blocks sends after STOP.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Set on the contact's attributes when they text STOP (False again on START); the send job
# passes the attributes in outbound.meta["contact_attributes"].
OPT_OUT_ATTRIBUTE = "sms_opt_out"

# https://www.twilio.com/docs/glossary/what-sms-character-limit : a Body may be 1600 characters;
# segments hold 160 GSM-7 / 70 UCS-2 units alone, 153 / 67 when concatenated.
MAX_BODY = 1600
MAX_SEGMENTS = 10
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # sent as escape + char: two units each


def _webhook_error(what: str) -> ValueError:
    return ValueError(f"Twilio webhook is missing {what}")


def parse_sms(params: Mapping[str, Any], *, account_id: int | None = None) -> InboundMessage:
    """An incoming-message webhook as one InboundMessage; media stay URLs in meta["media"]."""
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or params.get("SmsSid")
    sender, ours = params.get("From"), params.get("To")
    if not sid or not sender or not ours:
        raise _webhook_error("MessageSid, From or To")
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
        channel=CHANNEL,
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


def _units(text: str) -> tuple[int, int, int]:
    """(units used, units in a lone segment, units per concatenated segment) for text."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in text):
        return sum(2 if c in _GSM7_EXTENDED else 1 for c in text), 160, 153
    return len(text.encode("utf-16-le")) // 2, 70, 67


def segment_count(text: str) -> int:
    """How many SMS segments Twilio will bill for `text` (GSM-7 or UCS-2)."""
    used, single, multi = _units(text)
    return 1 if used <= single else math.ceil(used / multi)


_SENTENCE = re.compile(r".+?(?:[.!?]+[\"')\]]*(?=\s|$)|\n|$)\s*", re.DOTALL)


def split_sms(text: str, limit: int = MAX_BODY, *, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """Markdown reply -> plain-text bodies, each <= `limit` chars and <= `max_segments` segments.

    Breaks fall between sentences where possible, else between words, else inside a word.
    """
    plain = markdown_to_plain(text)

    def fits(part: str) -> bool:
        return len(part) <= limit and segment_count(part) <= max_segments

    return _pack(_SENTENCE.findall(plain), fits, depth=0)


def _pack(tokens: list[str], fits: Callable[[str], bool], depth: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for token in tokens:
        if fits((current + token).strip()):
            current += token
            continue
        if current.strip():
            parts.append(current.strip())
        current = token
        if not fits(token.strip()):
            finer = re.findall(r"\S+\s*", token) if depth == 0 else list(token)
            pieces = _pack(finer, fits, depth + 1)
            parts.extend(pieces[:-1])
            current = pieces[-1] if pieces else ""
    if current.strip():
        parts.append(current.strip())
    return parts


class PartialSendError(SendError):
    """Some parts went out before the failure. Retry with meta["twilio_parts_sent"] = sent_parts
    and meta["twilio_sids"] = sids so the customer does not get the first parts twice."""

    def __init__(self, message: str, *, retryable: bool, sent_parts: int, sids: list[str]):
        super().__init__(message, retryable=retryable)
        self.sent_parts = sent_parts
        self.sids = sids

    @property
    def progress(self) -> dict[str, Any]:
        """What to keep in the message's meta so the retry's outbound.meta skips sent parts."""
        return {"twilio_parts_sent": self.sent_parts, "twilio_sids": self.sids}


def _send_error(exc: Exception, sent: int, sids: list[str]) -> PartialSendError:
    if isinstance(exc, TwilioRestException):
        # 429 (rate limit) and 5xx are Twilio's momentary trouble; other 4xx will fail again.
        retryable = exc.status == 429 or exc.status >= 500
        text = f"Twilio refused the SMS ({exc.status}, code {exc.code}): {exc.msg}"
    else:
        retryable, text = True, f"could not reach Twilio: {exc}"
    return PartialSendError(text, retryable=retryable, sent_parts=sent, sids=sids)


# Outbound MMS needs public media URLs we do not host yet, so attachments are not sent.
LIMITS = Limits(max_text=MAX_BODY, markdown=False, html=False, attachments=False)


class SmsChannel:
    """Replies by SMS from the account's number; long text goes out as several messages."""

    name = CHANNEL
    limits = LIMITS

    def __init__(self, account: TwilioAccount):
        self.account = account

    async def send(self, outbound: OutboundMessage) -> Receipt:
        if outbound.meta.get("contact_attributes", {}).get(OPT_OUT_ATTRIBUTE):
            raise SendError(
                "not sent: the customer texted STOP to opt out of SMS; "
                "they must text START before we can text them again",
                retryable=False,
            )
        to = _recipient(outbound)
        parts = split_sms(outbound.text, self.limits.max_text or MAX_BODY)
        if not parts:
            raise SendError("the reply has no text to send by SMS", retryable=False)
        done = int(outbound.meta.get("twilio_parts_sent", 0))
        sids = list(outbound.meta.get("twilio_sids", []))
        client = rest_client(self.account)
        for index in range(done, len(parts)):
            try:
                sid = await asyncio.to_thread(self._create, client, to, parts[index])
            except (TwilioRestException, requests.RequestException) as exc:
                raise _send_error(exc, index, sids) from exc
            sids.append(sid)
        segments = sum(segment_count(p) for p in parts)
        return Receipt(sids[0], meta={"sids": sids, "parts": len(parts), "segments": segments})

    def _create(self, client: Any, to: str, body: str) -> str:
        message = client.messages.create(
            from_=self.account.number,
            to=to,
            body=body,
            status_callback=self.account.url(self.account.sms_status_path),
        )
        return message.sid


def _recipient(outbound: OutboundMessage) -> str:
    if outbound.recipient.kind == "phone":
        return outbound.recipient.value
    number = outbound.thread_key.split("|", 1)[0]  # "<customer>|<our number>"
    if re.match(E164, number):
        return number
    raise SendError(f"no phone number to text in thread {outbound.thread_key!r}", retryable=False)
