"""Twilio webhooks, gateway side: find the account a request came to and check its signature.

Twilio signs the public URL it called (our configured base URL and path, plus the query) and the
form; a missing or wrong X-Twilio-Signature is a 403 (problem+json) before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from channels.base import VerifyError
from channels.twilio.account import TwilioAccount, account_from
from channels.twilio.limits import CHANNELS
from channels.twilio.verify import verify_twilio
from store.actor import SYSTEM
from store.config import accounts
from store.config.models import ChannelAccount
from store.db import Database
from store.errors import Forbidden, Invalid
from store.jobs import PermanentFailure
from store.outbox.service import emit
from store.tickets import service as tickets

SMS_FIRST, VOICE_FIRST = CHANNELS, CHANNELS[::-1]  # one account may serve both
TWIML = "text/xml"


@dataclass
class Hook:
    """A webhook that passed the signature check, with the account it came to."""

    account_id: int
    account: TwilioAccount
    form: FormData


async def account_by_number(
    session: AsyncSession, number: str | None, channels: tuple[str, ...]
) -> tuple[int, TwilioAccount] | None:
    for channel in channels if number else ():
        row = await accounts.get_by_address(session, channel=channel, address=number)
        if row is not None and row.active:
            return row.id, account_from({**row.config, **row.secrets})
    return None


async def account_by_id(session: AsyncSession, account_id: int | None):
    row = await session.get(ChannelAccount, account_id) if account_id else None
    if row is None or not row.active:
        return None
    return row.id, account_from({**row.config, **row.secrets})


def checked(request: Request, found, path_field: str, form: FormData) -> Hook:
    if found is None:
        raise Forbidden("no active Twilio number matches this request; nothing was stored")
    account_id, account = found
    # Twilio signs the URL it was given (our public one) including its query string.
    query = request.url.query
    url = account.url(getattr(account, path_field)) + (f"?{query}" if query else "")
    try:
        verify_twilio(
            url,
            form,
            request.headers.get("X-Twilio-Signature"),
            account.auth_token,
            signature_settings=request.headers.get("X-Twilio-Webhooks-Signature-Settings"),
        )
    except VerifyError as exc:
        raise Forbidden(f"{exc}; nothing was stored") from None
    return Hook(account_id, account, form)


async def verified(
    request: Request, path_field: str, channels: tuple[str, ...], number_keys: tuple[str, ...]
) -> Hook:
    """The account named by our number in the form (To, or From on a status callback)."""
    form = await request.form()
    number = next((form[k] for k in number_keys if form.get(k)), None)
    async with request.app.state.db.uow() as session:
        found = await account_by_number(session, number, channels)
    return checked(request, found, path_field, form)


def parsed(parse, *args, **kwargs):
    try:
        return parse(*args, **kwargs)
    except ValueError as exc:  # signed by Twilio yet not the shape we expect
        raise Invalid(str(exc)) from None


class TwiMLResponse(Response):
    """TwiML answers; as a route's response_class the OpenAPI document says text/xml."""

    media_type = TWIML


def xml_response(twiml: str) -> Response:
    return Response(twiml, media_type=TWIML)


async def stored(db: Database, channel: str, external_id: str) -> bool:
    async with db.uow() as session:
        found = await tickets.get_message_by_external_id(
            session, channel=channel, external_id=external_id
        )
    return found is not None


async def load_account(db: Database, account_id: int) -> tuple[int, TwilioAccount]:
    async with db.uow() as session:
        found = await account_by_id(session, account_id)
    if found is None:
        raise PermanentFailure(f"Twilio account {account_id} is gone or inactive")
    return found


async def defer(db: Database, event_type: str, ticket_id: int | None, **payload: Any) -> None:
    """Commit the webhook as an event; the job it triggers does the slow part."""
    async with db.uow() as session:
        emit(session, event_type, actor=SYSTEM, ticket_id=ticket_id, payload=payload)
