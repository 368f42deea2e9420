"""Twilio voice through the running gateway: TwiML verb by verb, a real recording transcribed by
the job, the hold loop, escalation, and the human's answer texted to the caller."""

from __future__ import annotations

import shutil

import pytest

from channels.twilio.transcribe import Transcriber
from channels.twilio.voice import CONNECTING, HOLD, TEXT_BACK
from store import files
from store.actor import BOT
from store.tickets import service as ticket_service
from tests.audio import phone_recording
from tests.doubles.twilio_api import (  # noqa: F401 - pytest fixtures
    twilio_api_fixture,
    twilio_api_server_fixture,
)
from tests.integration.twilio_hooks import (
    AGENT_PHONE,
    CUSTOMER,
    OURS,
    PUBLIC,
    call,
    configure,
    messages,
    post,
    recording_callback,
    sid,
    tickets,
    verbs,
)

SPOKEN = "Hello, I need help with my password. My order number is four five six."
needs_speech = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")),
    reason="needs the Debian packages espeak-ng and sox to synthesise a call",
)
CLOSED = {"timezone": "UTC", "days": [], "opens": "09:00", "closes": "17:00"}  # never open


@pytest.fixture(scope="session")
def call_wav(tmp_path_factory) -> bytes:
    """espeak-ng speech at 8 kHz mono 16-bit, the shape of a Twilio call recording."""
    return phone_recording(SPOKEN, tmp_path_factory.mktemp("call") / "call.wav").read_bytes()


@pytest.fixture(scope="session")
def transcriber(tmp_path_factory) -> Transcriber:
    """One real Whisper model for the session (both database runs share it)."""
    return Transcriber(data_dir=tmp_path_factory.mktemp("whisper"))


async def start_call(client, call_sid: str):
    return await post(client, "/channels/twilio/voice", call(call_sid))


async def test_an_incoming_call_is_greeted_and_recorded(client, admin_headers, twilio_api):
    await configure(client, admin_headers, twilio_api)
    call_sid = sid("CA")
    say, record, sorry, hangup = verbs(await start_call(client, call_sid))
    assert [v.tag for v in (say, record, sorry, hangup)] == ["Say", "Record", "Say", "Hangup"]
    assert "how we can help" in say.text
    assert record.get("action") == f"{PUBLIC}/channels/twilio/voice/recorded?turn=0"
    status_url = f"{PUBLIC}/channels/twilio/voice/recording?turn=0"
    assert record.get("recordingStatusCallback") == status_url
    assert record.get("finishOnKey") == "#" and record.get("playBeep") == "true"
    [ticket] = await tickets(client, admin_headers)
    assert ticket["channel"] == "twilio_voice" and ticket["subject"] == f"Call from {CUSTOMER}"


async def test_forged_call_webhooks_are_refused(client, admin_headers, twilio_api):
    await configure(client, admin_headers, twilio_api)
    forged = await post(client, "/channels/twilio/voice", call(sid("CA")), token="wrong-token")
    assert forged.status_code == 403
    assert await tickets(client, admin_headers) == []
    call_sid = sid("CA")
    await start_call(client, call_sid)
    url = twilio_api.add_recording(b"RIFF-not-really-audio")
    unsigned = await post(
        client,
        "/channels/twilio/voice/recording?turn=0",
        recording_callback(call_sid, url),
        signature=None,
    )
    assert unsigned.status_code == 403
    poll = await post(
        client, "/channels/twilio/voice/poll?turn=0&attempt=1", call(call_sid), signature="bm9wZQ=="
    )
    assert poll.status_code == 403


async def test_the_caller_holds_while_nothing_is_decided(client, admin_headers, twilio_api):
    await configure(client, admin_headers, twilio_api)
    call_sid = sid("CA")
    await start_call(client, call_sid)
    held = verbs(await post(client, "/channels/twilio/voice/recorded?turn=0", call(call_sid)))
    assert [v.tag for v in held] == ["Say", "Pause", "Redirect"]
    assert held[0].text == HOLD
    assert held[2].text == f"{PUBLIC}/channels/twilio/voice/poll?turn=0&attempt=1"
    again = verbs(
        await post(client, "/channels/twilio/voice/poll?turn=0&attempt=1", call(call_sid))
    )
    assert [v.tag for v in again] == ["Pause", "Redirect"]
    assert again[1].text.endswith("poll?turn=0&attempt=2")


async def test_nobody_answering_for_too_long_escalates(client, admin_headers, twilio_api):
    await configure(client, admin_headers, twilio_api)
    call_sid = sid("CA")
    await start_call(client, call_sid)
    given_up = verbs(
        await post(client, "/channels/twilio/voice/poll?turn=0&attempt=8", call(call_sid))
    )
    assert [(v.tag, v.text) for v in given_up] == [("Say", TEXT_BACK), ("Hangup", None)]
    [ticket] = await tickets(client, admin_headers)
    assert ticket["owner"] == "human"


@needs_speech
async def test_a_recording_is_transcribed_by_a_job_and_the_call_escalates(
    app, client, admin_headers, twilio_api, call_wav, transcriber
):
    app.state.dispatcher.ctx.extras["transcriber"] = transcriber
    await configure(client, admin_headers, twilio_api)
    call_sid = sid("CA")
    await start_call(client, call_sid)
    await post(client, "/channels/twilio/voice/recorded?turn=0", call(call_sid))
    url = twilio_api.add_recording(call_wav)
    status = recording_callback(call_sid, url)
    stored = await post(client, "/channels/twilio/voice/recording?turn=0", status)
    assert stored.status_code == 204
    [ticket] = await tickets(client, admin_headers)
    assert len(await messages(client, admin_headers, ticket["id"])) == 1  # not on the request

    await app.state.dispatcher.drain()
    _, heard = await messages(client, admin_headers, ticket["id"])
    words = heard["text"].lower()
    assert "password" in words and "order number" in words
    assert heard["external_id"] == status["RecordingSid"]
    [audio] = heard["attachments"]
    assert audio["content_type"] == "audio/x-wav" and files.read(audio["sha256"]) == call_wav

    # Until the agent graph answers, the caller's words on the ticket mean a human takes over.
    poll = await post(client, "/channels/twilio/voice/poll?turn=0&attempt=1", call(call_sid))
    assert [(v.tag, v.text) for v in verbs(poll)] == [("Say", TEXT_BACK), ("Hangup", None)]
    ticket = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin_headers)).json()
    assert ticket["owner"] == "human"
    notes = await client.get(f"/api/v1/tickets/{ticket['id']}/notes", headers=admin_headers)
    assert "text" in notes.json()[0]["body"]


async def test_escalation_dials_the_agent_number_when_open(client, admin_headers, twilio_api):
    await configure(client, admin_headers, twilio_api, agent_dial_number=AGENT_PHONE)
    call_sid = sid("CA")
    await start_call(client, call_sid)
    url = twilio_api.add_recording(b"")
    await post(
        client,
        "/channels/twilio/voice/recording?turn=0",
        recording_callback(call_sid, url, status="absent"),
    )
    say, dial = verbs(
        await post(client, "/channels/twilio/voice/poll?turn=0&attempt=1", call(call_sid))
    )
    assert say.text == CONNECTING
    assert dial.tag == "Dial" and dial.text.strip() == AGENT_PHONE
    assert dial.get("action") == f"{PUBLIC}/channels/twilio/voice/dial"
    missed = await post(
        client, "/channels/twilio/voice/dial", call(call_sid, DialCallStatus="no-answer")
    )
    assert [(v.tag, v.text) for v in verbs(missed)] == [("Say", TEXT_BACK), ("Hangup", None)]


async def test_out_of_hours_escalation_promises_a_text(client, admin_headers, twilio_api):
    await configure(
        client, admin_headers, twilio_api, agent_dial_number=AGENT_PHONE, business_hours=CLOSED
    )
    call_sid = sid("CA")
    await start_call(client, call_sid)
    given_up = verbs(
        await post(client, "/channels/twilio/voice/poll?turn=0&attempt=8", call(call_sid))
    )
    assert [(v.tag, v.text) for v in given_up] == [("Say", TEXT_BACK), ("Hangup", None)]


async def test_a_human_reply_to_a_call_is_texted_to_the_caller(
    app, client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api)
    await start_call(client, sid("CA"))
    [ticket] = await tickets(client, admin_headers)
    body = {"body": "Hi, this is Sam from support: your password link is on its way."}
    await client.post(f"/api/v1/tickets/{ticket['id']}/messages", json=body, headers=admin_headers)
    await app.state.dispatcher.drain()
    [sent] = twilio_api.messages
    assert (sent["From"], sent["To"], sent["Body"]) == (OURS, CUSTOMER, body["body"])
    out = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert out["delivery_status"] == "sent" and out["external_id"] == sent["_sid"]


async def test_gathered_speech_is_answered_on_the_call_and_not_texted(
    app, client, admin_headers, twilio_api
):
    await configure(client, admin_headers, twilio_api, listen_mode="gather")
    call_sid = sid("CA")
    greeting = verbs(await start_call(client, call_sid))
    assert [v.tag for v in greeting] == ["Say", "Gather"]
    assert greeting[1].get("input") == "speech"
    assert greeting[1].get("action") == f"{PUBLIC}/channels/twilio/voice/gather?turn=0"
    said = call(call_sid, SpeechResult="How do I reset my password?", Confidence="0.93")
    held = verbs(await post(client, "/channels/twilio/voice/gather?turn=0", said))
    assert [v.tag for v in held] == ["Say", "Pause", "Redirect"]
    [ticket] = await tickets(client, admin_headers)
    assert (await messages(client, admin_headers, ticket["id"]))[-1]["text"] == (
        "How do I reset my password?"
    )
    # The agent's answer, written as the agent graph writes it: a bot reply on the ticket.
    async with app.state.db.uow() as session:
        answer = "Use **Forgot password** on the sign-in page; the link lasts an hour."
        await ticket_service.reply(session, ticket_id=ticket["id"], body=answer, actor=BOT)
    spoken = verbs(
        await post(client, "/channels/twilio/voice/poll?turn=0&attempt=1", call(call_sid))
    )
    assert [v.tag for v in spoken] == ["Say", "Say", "Gather"]
    assert spoken[0].text == "Use Forgot password on the sign-in page; the link lasts an hour."
    assert spoken[2].get("action") == f"{PUBLIC}/channels/twilio/voice/gather?turn=1"
    await app.state.dispatcher.drain()
    assert twilio_api.messages == []  # heard on the call, so not texted as well
    out = (await messages(client, admin_headers, ticket["id"]))[-1]
    assert out["delivery_status"] == "sent" and out["external_id"].startswith("spoken:")
