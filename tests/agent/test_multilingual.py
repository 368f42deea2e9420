"""Questions in other languages through the running gateway: detected, matched through the
multilingual encoder against English (or same-language) articles, answered or handed over in
the customer's language."""

from __future__ import annotations

from tests.agent.conftest import ask, bot_messages, configure, ticket, traces


async def test_a_spanish_question_is_answered_from_the_english_article(
    app, client, admin_headers, kb
):
    await configure(client, admin_headers)
    text = "¿Cómo puedo restablecer mi contraseña? No me acuerdo de ella."
    tid = await ask(app, client, admin_headers, text, ext="es-1")
    [reply] = await bot_messages(client, admin_headers, tid)
    # Said in Spanish that the answer is in English, then the English article's words.
    assert reply["text"].startswith("Solo encontré la respuesta en inglés")
    assert "Forgot password" in reply["text"]
    [trace] = await traces(client, admin_headers, tid)
    assert trace["action"] == "answer"
    assert trace["sources"][0]["title"] == "Reset your password"
    assert (await ticket(client, admin_headers, tid))["language"] == "es"


async def test_a_german_question_prefers_the_german_article(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await ask(app, client, admin_headers, "Ich habe mein Passwort vergessen.", ext="de-9")
    [reply] = await bot_messages(client, admin_headers, tid)
    assert "Passwort vergessen" in reply["text"]
    assert "Englisch" not in reply["text"]  # no "only in English" sentence: it is German


async def test_an_off_topic_portuguese_question_is_handed_over_in_portuguese(
    app, client, admin_headers, kb
):
    await configure(client, admin_headers)
    text = "Você pode me recomendar uma boa receita de lasanha?"
    tid = await ask(app, client, admin_headers, text, ext="pt-1")
    [handoff] = await bot_messages(client, admin_headers, tid)
    assert (await ticket(client, admin_headers, tid))["owner"] == "human"
    [trace] = await traces(client, admin_headers, tid)
    assert trace["action"] == "escalate"
    assert "encaminhando seu pedido" in handoff["text"]
