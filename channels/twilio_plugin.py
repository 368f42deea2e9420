"""Twilio in the gateway: the channel specs, the SMS webhook routes and the MMS media job.

SMS: verify -> parse -> ingest (MessageSid dedup) -> empty TwiML; replies go out through the REST
API in the send job. An MMS waits for its media: the webhook commits an event, and a job fetches
the media (authenticated, size-limited) and ingests the message with them attached. Calls are in
channels.twilio_calls, whose routes this router includes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.twiml.messaging_response import MessagingResponse

from channels import twilio_calls
from channels import twilio_voice as voice
from channels.base import OutboundMessage, Receipt
from channels.registry import ChannelSpec, register
from channels.twilio_common import MediaTooLarge, TwilioAccount, fetch_media
from channels.twilio_sms import OPT_OUT_ATTRIBUTE, SmsChannel, parse_sms, parse_status_callback
from channels.twilio_webhooks import (
    CHANNELS,
    SMS_FIRST,
    account_from,
    defer,
    load_account,
    parsed,
    stored,
    verified,
    xml_response,
)
from gateway.ingest_writer import write_one
from gateway.jobs import JobContext, job
from store.contacts import service as contacts
from store.db import Database
from store.tickets import delivery
from store.tickets import service as tickets

MEDIA_EVENT = "twilio.mms.received"

router = APIRouter(prefix="/channels/twilio", tags=["twilio"])
router.include_router(twilio_calls.router)


class VoiceReplies:
    """Replies on a call's ticket: the bot's were spoken on the call, a human's go out by SMS."""

    name = voice.CHANNEL
    limits = voice.LIMITS  # what the agent must respect when it answers a caller

    def __init__(self, account: TwilioAccount):
        self.sms = SmsChannel(account)

    async def send(self, outbound: OutboundMessage) -> Receipt:
        if outbound.automated:
            # The poll route read it to the caller; a text repeating it would be noise.
            return Receipt(f"spoken:{outbound.message_id}", meta={"delivered_by": "voice"})
        return await self.sms.send(outbound)


def _spec(name: str, adapter: type) -> ChannelSpec:
    """The same Twilio account config serves texts and calls; only the sending adapter differs."""
    return ChannelSpec(
        name,
        config_model=TwilioAccount,
        secret_fields=frozenset({"auth_token"}),
        build=lambda config, _id: adapter(account_from(config)),
        address_of=lambda config: config.get("number", ""),
    )


register(_spec("twilio_sms", SmsChannel))
register(_spec("twilio_voice", VoiceReplies))


@router.post("/sms")
async def incoming_sms(request: Request) -> Response:
    """An SMS or MMS to one of our numbers. Twilio gets an empty TwiML: replies go by REST."""
    hook = await verified(request, "sms_path", SMS_FIRST, ("To",))
    inbound = parsed(parse_sms, hook.form, account_id=hook.account_id)
    if inbound.meta["media"]:
        # The whole message waits for its media: a job fetches them, then ingests it.
        await defer(
            request.app.state.db,
            MEDIA_EVENT,
            None,
            account_id=hook.account_id,
            params=dict(hook.form),
        )
    else:
        await request.app.state.ingest.submit(inbound)
    if inbound.flags & {"opt_out", "opt_in"}:
        # Also on a redelivered STOP: setting the flag again is harmless, missing it is not.
        await _remember_opt_out(request.app.state.db, inbound.sender.value, inbound.flags)
    return xml_response(str(MessagingResponse()))


async def _remember_opt_out(db: Database, phone: str, flags: set[str]) -> None:
    async with db.uow() as session:
        contact = await contacts.get_by_identity(session, kind="phone", value=phone)
        if contact is not None:
            opted_out = "opt_out" in flags
            contact.attributes = {**contact.attributes, OPT_OUT_ATTRIBUTE: opted_out}


# Twilio's message statuses -> ours; the others (queued, sending, ...) change nothing.
OUR_STATUS = {"sent": "sent", "delivered": "delivered", "read": "delivered",
              "failed": "failed", "undelivered": "failed"}  # fmt: skip
RANK = {"queued": 0, "sent": 1, "delivered": 2, "failed": 2}


@router.post("/sms/status", status_code=204)
async def sms_status(request: Request) -> Response:
    """A status callback for a text we sent (From is our number)."""
    hook = await verified(request, "sms_status_path", SMS_FIRST, ("From",))
    report = parsed(parse_status_callback, hook.form)
    async with request.app.state.db.uow() as session:
        await _record_status(session, report)
    return Response(status_code=204)


async def _record_status(session: AsyncSession, report: dict[str, Any]) -> None:
    status = OUR_STATUS.get(report["status"])
    message = None
    for channel in CHANNELS:  # a voice ticket's human replies go out by SMS too
        message = message or await tickets.get_message_by_external_id(
            session, channel=channel, external_id=report["message_sid"]
        )
    # Callbacks can arrive out of order: never step back from delivered to sent.
    if status is None or message is None or RANK.get(message.delivery_status, 0) >= RANK[status]:
        return
    error = None
    if report["failed"]:
        error = f"Twilio reports the text {report['status']} (error {report['error_code']})"
    await delivery.mark_status(session, message=message, status=status, error=error)


async def _media_gave_up(ctx: JobContext, args: dict, error: str) -> None:
    """The media never came: keep the text, and say on the message what is missing."""
    inbound = parse_sms(args["params"], account_id=args["account_id"])
    inbound.meta["media_skipped"] = [
        {"url": m["url"], "reason": f"gave up: {error}"} for m in inbound.meta["media"]
    ]
    await write_one(ctx.db, inbound)


@job("twilio_fetch_media", on=(MEDIA_EVENT,), on_dead=_media_gave_up)
async def fetch_mms_media(ctx: JobContext, args: dict) -> None:
    """Fetch an MMS's media (authenticated, size-limited) and ingest it with them attached."""
    account_id, account = await load_account(ctx.db, args["account_id"])
    inbound = parse_sms(args["params"], account_id=account_id)
    if await stored(ctx.db, inbound.channel, inbound.external_id):
        return  # a redelivered webhook's second event
    skipped = []
    for item in inbound.meta["media"]:
        try:
            inbound.attachments.append(
                await fetch_media(
                    account,
                    item["url"],
                    ctx.settings.max_attachment_bytes,
                    content_type=item["content_type"],
                )
            )
        except MediaTooLarge as exc:  # other errors propagate: the job is retried
            skipped.append({"url": item["url"], "reason": str(exc)})
    if skipped:
        inbound.meta["media_skipped"] = skipped
    await write_one(ctx.db, inbound)
