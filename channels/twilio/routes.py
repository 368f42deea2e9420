"""Twilio in the gateway: the channel specs, the SMS webhook routes and the MMS media job.

SMS: verify -> parse -> ingest (MessageSid dedup) -> empty TwiML; replies go out through the REST
API in the send job. An MMS waits for its media: the webhook commits an event, and a job fetches
the media (authenticated, size-limited) and ingests the message with them attached. Calls are in
channels.twilio.calls, whose routes this router includes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.twiml.messaging_response import MessagingResponse

from channels.twilio import calls as twilio_calls
from channels.twilio.jobs import MEDIA_EVENT
from channels.twilio.parse import OPT_OUT_ATTRIBUTE, parse_sms, parse_status_callback
from channels.twilio.webhooks import (
    CHANNELS,
    SMS_FIRST,
    TwiMLResponse,
    defer,
    parsed,
    verified,
    xml_response,
)
from store.contacts import service as contacts
from store.db import Database
from store.tickets import delivery
from store.tickets import service as tickets

router = APIRouter(prefix="/channels/twilio", tags=["twilio"])
router.include_router(twilio_calls.router)


@router.post("/sms", response_class=TwiMLResponse)
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
