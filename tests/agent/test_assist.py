"""Help for the human on every ticket: triage of every inbound message whoever owns the
ticket, a suggested reply (grounded, rendered, in the customer's language) for each message a
human must answer, and the handoff summary written once (the brief), never copied to a note."""

from __future__ import annotations

import re

from store.agent import triage as ticket_triage
from store.agent.triage import SUGGESTION_EVENT
from tests.agent.conftest import ask, configure, ticket, traces
from tests.integration.test_console import add_user, sign_in


async def _triage(app, tid: int) -> dict:
    async with app.state.db.read() as session:
        return (await ticket_triage.for_tickets(session, ticket_ids=[tid]))[tid]


async def _escalated(app, client, headers) -> int:
    tid = await ask(app, client, headers, "Can you recommend a good pizza recipe?", ext="p-1")
    assert (await ticket(client, headers, tid))["owner"] == "human"
    return tid


async def test_messages_on_a_human_owned_ticket_are_triaged(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await _escalated(app, client, admin_headers)
    assert await ask(app, client, admin_headers, "I want a refund", ext="p-2") == tid
    got = await _triage(app, tid)
    assert got["language"] == "en" and got["sentiment"] == 0.0 and got["priority"] == "normal"
    assert (await ticket(client, admin_headers, tid))["priority"] == "normal"  # not "negative"
    assert "negative" not in (await ticket(client, admin_headers, tid))["tags"]
    angry = "This is unacceptable, the worst service ever, I am furious!"
    await ask(app, client, admin_headers, angry, ext="p-3")
    assert (await _triage(app, tid))["sentiment"] < -0.3
    after = await ticket(client, admin_headers, tid)
    assert after["priority"] == "high" and "negative" in after["tags"]
    await ask(app, client, admin_headers, "¿Cómo puedo restablecer mi contraseña?", ext="p-4")
    assert (await _triage(app, tid))["language"] == "es"


async def test_triage_with_the_bot_off_names_the_intent(app, client, admin_headers, kb):
    from tests.agent.conftest import EXAMPLES

    await kb.add_examples(EXAMPLES)
    tid = await ask(app, client, admin_headers, "I forgot my password", ext="o-1")
    got = await _triage(app, tid)
    assert got["intent"] == "reset_password" and got["confidence"] >= 0.3


async def test_a_human_gets_a_rendered_suggestion_for_each_message(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await _escalated(app, client, admin_headers)
    await ask(app, client, admin_headers, "Also, how do I reset my password?", ext="p-5")
    [suggestion] = await traces(client, admin_headers, tid, kind=SUGGESTION_EVENT)
    assert suggestion["sources"][0]["title"] == "Reset your password"
    assert "**" not in suggestion["suggested_reply"]  # plain text for the composer
    assert "Forgot password" in suggestion["suggested_reply"]
    assert "<strong>Forgot password</strong>" in suggestion["suggested_html"]
    page = (await _console_page(app, client, tid)).text
    assert "<strong>Forgot password</strong>" in page and "**Forgot password**" not in page
    assert re.search(r'data-text="Hello,\s+To reset your password', page)


async def test_the_suggestion_opens_in_the_customers_language(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await _escalated(app, client, admin_headers)
    await ask(
        app, client, admin_headers, "Ich habe mein Passwort vergessen, bitte helfen", ext="d-1"
    )
    [suggestion] = await traces(client, admin_headers, tid, kind=SUGGESTION_EVENT)
    assert suggestion["language"] == "de"
    assert suggestion["suggested_reply"].startswith("Hallo,")
    assert suggestion["sources"][0]["title"] == "Passwort zurücksetzen"


async def test_the_handoff_summary_is_written_once_not_as_a_note(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await _escalated(app, client, admin_headers)
    [trace] = await traces(client, admin_headers, tid)
    assert "pizza recipe" in trace["summary"]
    notes = (await client.get(f"/api/v1/tickets/{tid}/notes", headers=admin_headers)).json()
    assert notes == []
    page = (await _console_page(app, client, tid)).text
    assert page.count("Bot escalated: not confident") == 1


async def _console_page(app, client, tid: int):
    await add_user(app, "ana")
    await sign_in(client, "ana")
    r = await client.get(f"/console/tickets/{tid}")
    assert r.status_code == 200
    return r
