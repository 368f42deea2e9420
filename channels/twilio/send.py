"""The Twilio adapters: replies texted from the account's number, split to fit; a call's replies."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException

from channels.base import SendError
from channels.twilio.account import E164, TwilioAccount
from channels.twilio.formatting import segment_count, split_sms
from channels.twilio.limits import MAX_BODY, SMS_CHANNEL, SMS_LIMITS, VOICE_CHANNEL, VOICE_LIMITS
from channels.twilio.parse import OPT_OUT_ATTRIBUTE
from channels.twilio.rest import rest_client
from store.messages import OutboundMessage, Receipt


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


def _send_error(
    exc: Exception, sent: int, sids: list[str], retry_after: float | None = None
) -> PartialSendError:
    if isinstance(exc, TwilioRestException):
        # 429 (rate limit) and 5xx are Twilio's momentary trouble; other 4xx will fail again.
        retryable = exc.status == 429 or exc.status >= 500
        text = f"Twilio refused the SMS ({exc.status}, code {exc.code}): {exc.msg}"
    else:
        retryable, text = True, f"could not reach Twilio: {exc}"
    error = PartialSendError(text, retryable=retryable, sent_parts=sent, sids=sids)
    error.retry_after = retry_after if retryable else None  # the job waits at least this long
    return error


class SmsChannel:
    """Replies by SMS from the account's number; long text goes out as several messages."""

    name = SMS_CHANNEL
    limits = SMS_LIMITS

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
                wait = getattr(client.http_client, "retry_after", None)
                raise _send_error(exc, index, sids, wait) from exc
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
    """The customer's number; never anything else (an anonymous caller, a stored typo): a
    retry cannot make it a number, so the failure is final."""
    if outbound.recipient.kind == "phone":
        number = outbound.recipient.value
    else:
        number = outbound.thread_key.split("|", 1)[0]  # "<customer>|<our number>"
    if re.fullmatch(E164, number or ""):
        return number
    raise SendError(
        f"not sent: {number!r} is not a phone number in E.164 form (+ and up to 15 digits)",
        retryable=False,
    )


class VoiceReplies:
    """Replies on a call's ticket: the bot's were spoken on the call, a human's go out by SMS."""

    name = VOICE_CHANNEL
    limits = VOICE_LIMITS  # what the agent must respect when it answers a caller

    def __init__(self, account: TwilioAccount):
        self.sms = SmsChannel(account)

    async def send(self, outbound: OutboundMessage) -> Receipt:
        if outbound.automated:
            # The poll route read it to the caller; a text repeating it would be noise.
            return Receipt(f"spoken:{outbound.message_id}", meta={"delivered_by": "voice"})
        return await self.sms.send(outbound)
