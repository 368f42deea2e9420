"""Twilio voice calls: the call's webhook routes (the transcription job is channels/twilio/jobs.py).

A call: greet and record (or gather speech) -> the recording's status callback commits an event
-> a job transcribes it locally (faster-whisper, never on a webhook request) and puts transcript
and audio on the call's ticket -> the caller holds, polling -> the agent's answer is spoken, its
clarifying question asked (and the caller heard again), or the call escalates: <Dial> the agent
number within business hours, else "a human will text you back".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from channels.twilio import parse, voice
from channels.twilio.account import TwilioAccount
from channels.twilio.jobs import RECORDING_EVENT
from channels.twilio.limits import VOICE_CHANNEL
from channels.twilio.webhooks import (
    VOICE_FIRST,
    TwiMLResponse,
    account_by_id,
    checked,
    defer,
    parsed,
    verified,
    xml_response,
)
from store.actor import SYSTEM
from store.agent.service import bot_enabled
from store.contacts import service as contacts
from store.db import Database, utcnow
from store.tickets import ownership
from store.tickets import service as tickets
from store.tickets.models import Ticket

MAX_POLLS = 8  # with hold()'s 3 s pause: about half a minute before a human takes over

router = APIRouter()  # mounted under /channels/twilio by channels.twilio.routes


async def _call_ticket(session: AsyncSession, call_sid: str | None) -> Ticket | None:
    if not call_sid:
        return None
    return await tickets.latest_by_thread(session, channel=VOICE_CHANNEL, thread_key=call_sid)


@router.post("/voice", response_class=TwiMLResponse)
async def incoming_call(request: Request) -> Response:
    """A call to one of our numbers: open its ticket, greet, record the question."""
    hook = await verified(request, "voice_path", VOICE_FIRST, ("To", "Called"))
    inbound = parsed(parse.parse_call, hook.form, account_id=hook.account_id)
    inbound.subject = f"Call from {inbound.sender.value}"
    await request.app.state.ingest.submit(inbound)
    return xml_response(voice.greet_and_record(hook.account, mode=hook.account.listen_mode))


@router.post("/voice/recorded", response_class=TwiMLResponse)
async def recording_finished(request: Request, turn: int = 0) -> Response:
    """<Record>'s action: the caller stopped speaking. Hold while the recording is handled."""
    hook = await verified(request, "voice_recorded_path", VOICE_FIRST, ("To", "Called"))
    return xml_response(voice.hold(hook.account, turn=turn))


@router.post("/voice/gather", response_class=TwiMLResponse)
async def speech_gathered(request: Request, turn: int = 0) -> Response:
    """<Gather input="speech">'s action: Twilio's transcript is the caller's message."""
    hook = await verified(request, "voice_gather_path", VOICE_FIRST, ("To", "Called"))
    inbound = parsed(parse.parse_call, hook.form, turn=turn, account_id=hook.account_id)
    await request.app.state.ingest.submit(inbound)
    return xml_response(voice.hold(hook.account, turn=turn))


@router.post("/voice/recording", status_code=204)
async def recording_status(request: Request, turn: int = 0) -> Response:
    """The recording's status callback. It has no From/To: the call's ticket names both."""
    form = await request.form()
    db: Database = request.app.state.db
    async with db.uow() as session:
        ticket = await _call_ticket(session, form.get("CallSid"))
        found = await account_by_id(session, ticket.channel_account_id if ticket else None)
        caller = await _caller_of(session, ticket) if ticket else None
    hook = checked(request, found, "voice_recording_status_path", form)
    if parse.recording_ready(form):
        await defer(
            db,
            RECORDING_EVENT,
            ticket.id,
            account_id=hook.account_id,
            caller=caller,
            turn=turn,
            params=dict(form),
        )
    elif form.get("RecordingSid"):
        # Nothing usable was recorded (too short, silent): say so, and the poll escalates.
        heard = parsed(
            parse.parse_recording, form, caller=caller, turn=turn, account_id=hook.account_id
        )
        await request.app.state.ingest.submit(heard)
    return Response(status_code=204)


async def _caller_of(session: AsyncSession, ticket: Ticket) -> str | None:
    start = await tickets.get_message_by_external_id(
        session, channel=VOICE_CHANNEL, external_id=f"{ticket.thread_key}:call"
    )
    pair = start.meta.get("number_pair", "") if start else ""
    if pair:
        return pair.split("|", 1)[0]
    contact = await contacts.get(session, contact_id=ticket.contact_id)
    return contact.phone


@dataclass(frozen=True)
class Step:
    """What the caller hears next."""

    kind: Literal["wait", "answer", "clarify", "escalate"]
    text: str = ""


async def _agent_listening(session: AsyncSession) -> bool:
    """Is the agent answering customer messages (switched on by the admin)? Until it is, calls
    escalate."""
    return await bot_enabled(session)


async def next_step(session: AsyncSession, ticket: Ticket | None, turn: int, attempt: int) -> Step:
    """Decide from the ticket: the bot's reply to this turn, an escalation, or keep holding."""
    if ticket is None or ticket.owner == "human":
        return Step("escalate")
    messages = await tickets.list_messages(session, ticket_id=ticket.id)
    heard = [m for m in messages if m.direction == "in" and m.meta.get("turn") == turn]
    if heard:
        replies = [
            m
            for m in messages
            if m.direction == "out" and m.author_kind == "bot" and m.id > heard[-1].id
        ]
        if replies:
            kind = "clarify" if replies[-1].meta.get("decision") == "clarify" else "answer"
            return Step(kind, replies[-1].text)
        if "no_speech" in heard[-1].flags or not await _agent_listening(session):
            return Step("escalate")
    return Step("escalate") if attempt >= MAX_POLLS else Step("wait")


async def _hand_to_human(session: AsyncSession, ticket: Ticket, account: TwilioAccount) -> None:
    if not await ownership.hand_to_human(session, ticket_id=ticket.id, actor=SYSTEM):
        return
    hours = account.business_hours
    dialled = account.agent_dial_number and (hours is None or hours.is_open(utcnow()))
    how = f"transferred to {account.agent_dial_number}" if dialled else "told a human will text"
    await tickets.add_note(
        session, ticket_id=ticket.id, body=f"Call escalated: the caller was {how}.", actor=SYSTEM
    )


@router.post("/voice/poll", response_class=TwiMLResponse)
async def poll(request: Request, turn: int = 0, attempt: int = 0) -> Response:
    """Where the holding caller comes back every few seconds until there is something to say."""
    hook = await verified(request, "voice_poll_path", VOICE_FIRST, ("To", "Called"))
    async with request.app.state.db.uow() as session:
        ticket = await _call_ticket(session, hook.form.get("CallSid"))
        step = await next_step(session, ticket, turn, attempt)
        if step.kind == "escalate" and ticket is not None:
            await _hand_to_human(session, ticket, hook.account)
    return xml_response(_twiml_for(step, hook.account, turn, attempt))


def _twiml_for(step: Step, account: TwilioAccount, turn: int, attempt: int) -> str:
    if step.kind == "answer":
        return voice.speak_answer(step.text, account=account, turn=turn, mode=account.listen_mode)
    if step.kind == "clarify":
        return voice.ask_again(account, step.text, turn=turn, mode=account.listen_mode)
    if step.kind == "escalate":
        return voice.escalate(account, utcnow())
    return voice.hold(account, turn=turn, attempt=attempt, message=None)


@router.post("/voice/dial", response_class=TwiMLResponse)
async def dial_finished(request: Request) -> Response:
    """<Dial>'s action: after the agent call, hang up; if nobody answered, promise a text."""
    hook = await verified(request, "voice_dial_status_path", VOICE_FIRST, ("To", "Called"))
    return xml_response(voice.dial_result(hook.account, hook.form))
