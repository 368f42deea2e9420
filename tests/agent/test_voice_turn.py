"""A phone call answered by the agent: the caller's words -> agent_turn -> spoken answer, or a
handoff the call itself announces (no text message on top)."""

from __future__ import annotations

from channels.twilio.voice import TEXT_BACK
from tests.agent.conftest import bot_messages, configure, ticket, traces
from tests.doubles.twilio_api import (  # noqa: F401 - pytest fixtures
    twilio_api_fixture,
    twilio_api_server_fixture,
)
from tests.integration.twilio_hooks import call, post, sid, tickets, verbs
from tests.integration.twilio_hooks import configure as configure_twilio


async def _say(app, client, call_sid: str, words: str) -> None:
    said = call(call_sid, SpeechResult=words, Confidence="0.93")
    await post(client, "/channels/twilio/voice/gather?turn=0", said)
    await app.state.dispatcher.drain()


async def test_the_agent_answers_a_caller_by_voice(app, client, admin_headers, twilio_api, kb):
    await configure(client, admin_headers)
    await configure_twilio(client, admin_headers, twilio_api, listen_mode="gather")
    call_sid = sid("CA")
    await post(client, "/channels/twilio/voice", call(call_sid))
    await _say(app, client, call_sid, "How do I reset my password?")
    spoken = verbs(
        await post(client, "/channels/twilio/voice/poll?turn=0&attempt=1", call(call_sid))
    )
    assert [v.tag for v in spoken] == ["Say", "Say", "Gather"]
    assert "Forgot password" in spoken[0].text and "**" not in spoken[0].text
    await app.state.dispatcher.drain()
    assert twilio_api.messages == []


async def test_an_escalated_call_is_announced_once_by_the_call(
    app, client, admin_headers, twilio_api, kb
):
    await configure(client, admin_headers)
    await configure_twilio(client, admin_headers, twilio_api, listen_mode="gather")
    call_sid = sid("CA")
    await post(client, "/channels/twilio/voice", call(call_sid))
    await _say(app, client, call_sid, "Can you recommend a good pizza recipe?")
    [t] = await tickets(client, admin_headers)
    assert (await ticket(client, admin_headers, t["id"]))["owner"] == "human"
    assert (await traces(client, admin_headers, t["id"]))[0]["action"] == "escalate"
    given_up = verbs(
        await post(client, "/channels/twilio/voice/poll?turn=0&attempt=1", call(call_sid))
    )
    assert [(v.tag, v.text) for v in given_up] == [("Say", TEXT_BACK), ("Hangup", None)]
    assert await bot_messages(client, admin_headers, t["id"]) == []
    await app.state.dispatcher.drain()
    assert twilio_api.messages == []
