"""The agent in retrieval mode through the running gateway: inbound message -> agent_turn job
-> answer, clarify or escalate, with the trace on the ticket; rules, review, ownership."""

from __future__ import annotations

from sqlalchemy import select

from store.actor import SYSTEM
from store.knowledge import examples as kb_examples
from store.outbox.models import Delivery
from store.staff import service as staff
from store.tickets.models import Message
from tests.agent.conftest import EXAMPLES, ask, bot_messages, configure, ticket, traces


async def _meta(app, message_id: int) -> dict:
    async with app.state.db.read() as session:
        return (await session.get(Message, message_id)).meta


async def test_answers_from_the_matching_article_with_a_trace(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await ask(app, client, admin_headers, "How do I reset my password?", ext="a-1")
    [reply] = await bot_messages(client, admin_headers, tid)
    assert "Forgot password" in reply["text"] and "Source: Reset your password" in reply["text"]
    assert (await _meta(app, reply["id"]))["decision"] == "answer"
    [trace] = await traces(client, admin_headers, tid)
    assert trace["action"] == "answer" and trace["model"] == "retrieval"
    assert trace["passages"][0]["title"] == "Reset your password"
    assert trace["passages"][0]["similarity"] > trace["passages"][1]["similarity"]
    top = trace["passages"][0]
    assert trace["sources"] == [
        {"kind": "passage", "id": top["chunk_id"], "title": top["title"], "article_id": "1"}
    ]
    assert trace["decided_by"] == "knowledge.answer" and top["heading_similarity"] > 0
    assert trace["thresholds"]["chunk_answer_similarity"] > 0 and trace["latency_ms"] > 0
    assert (await ticket(client, admin_headers, tid))["owner"] == "bot"


async def test_answers_in_the_customers_language(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await ask(
        app, client, admin_headers, "Wie kann ich mein Passwort zurücksetzen?", ext="de-1"
    )
    [reply] = await bot_messages(client, admin_headers, tid)
    assert (
        "Passwort vergessen" in reply["text"] and "Quelle: Passwort zurücksetzen" in reply["text"]
    )
    assert (await ticket(client, admin_headers, tid))["language"] == "de"


async def test_close_candidates_get_a_question_naming_both(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    text = "How do I change my contact details on my account?"
    tid = await ask(app, client, admin_headers, text, ext="c-1")
    [question] = await bot_messages(client, admin_headers, tid)
    assert "Change the email address on your account" in question["text"]
    assert "Change the phone number on your account" in question["text"]
    assert question["text"].startswith("Do you mean")
    assert (await _meta(app, question["id"]))["decision"] == "clarify"
    assert (await traces(client, admin_headers, tid))[0]["action"] == "clarify"


async def test_unrelated_question_escalates_and_hands_off_once(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await ask(app, client, admin_headers, "Can you recommend a good pizza recipe?", ext="u-1")
    [handoff] = await bot_messages(client, admin_headers, tid)
    assert "passing your request to a member of our team" in handoff["text"]
    assert (await ticket(client, admin_headers, tid))["owner"] == "human"
    [trace] = await traces(client, admin_headers, tid)
    assert trace["action"] == "escalate" and trace["reason"].startswith("not confident")
    assert "pizza recipe" in trace["summary"]
    assert trace["summary"].startswith("Bot escalated: not confident")
    # The summary waits in the bot's brief (the trace), not copied into a note as well.
    assert (await client.get(f"/api/v1/tickets/{tid}/notes", headers=admin_headers)).json() == []
    # The customer writes again: humans own the ticket, the bot stays silent.
    again = await ask(app, client, admin_headers, "Hello? Anyone?", ext="u-2")
    assert again == tid
    assert len(await bot_messages(client, admin_headers, tid)) == 1
    assert len(await traces(client, admin_headers, tid)) == 1


async def test_an_escalation_rule_fires_before_a_confident_answer(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    rule = {"name": "legal threats", "conditions": {"keywords": ["lawyer", "sue"]}}
    r = await client.post("/api/v1/agent/escalation-rules", json=rule, headers=admin_headers)
    assert r.status_code == 201, r.text
    text = "How do I reset my password? Otherwise my lawyer will hear about it."
    tid = await ask(app, client, admin_headers, text, ext="r-1")
    [trace] = await traces(client, admin_headers, tid)
    assert trace["action"] == "escalate" and trace["rule"] == "legal threats"
    assert trace["reason"] == "rule 'legal threats' matched"
    assert (await ticket(client, admin_headers, tid))["owner"] == "human"


async def _turns_queued(app) -> int:
    async with app.state.db.read() as session:
        found = await session.scalars(select(Delivery.id).where(Delivery.target == "agent_turn"))
        return len(list(found))


async def test_while_the_bot_is_off_messages_start_no_turn(app, client, admin_headers, kb):
    tid = await ask(app, client, admin_headers, "How do I reset my password?", ext="off-1")
    assert await _turns_queued(app) == 0 and await bot_messages(client, admin_headers, tid) == []
    await configure(client, admin_headers)  # switched on: the next message gets its turn
    await ask(app, client, admin_headers, "How do I reset my password now?", ext="off-2")
    assert await _turns_queued(app) == 1
    assert len(await bot_messages(client, admin_headers, tid)) == 1


async def test_asking_for_a_human_escalates(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await ask(app, client, admin_headers, "I want to talk to a real person", ext="h-1")
    [trace] = await traces(client, admin_headers, tid)
    assert trace["rule"] == "built-in: asks for a human"


async def test_review_mode_waits_for_approval_then_sends_the_draft(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    rule = {
        "name": "check password answers",
        "conditions": {"keywords": ["password"]},
        "action": "review",
    }
    await client.post("/api/v1/agent/escalation-rules", json=rule, headers=admin_headers)
    tid = await ask(app, client, admin_headers, "How do I reset my password?", ext="v-1")
    assert await bot_messages(client, admin_headers, tid) == []
    [requested] = await traces(client, admin_headers, tid, kind="agent.review_requested")
    assert requested["rule"] == "check password answers"
    # A restart: a new process builds a new graph; the paused run lives in the database.
    app.state.dispatcher.ctx.extras.pop("agent")
    pending = await client.get(f"/api/v1/tickets/{tid}/agent/review", headers=admin_headers)
    assert pending.status_code == 200 and "Forgot password" in pending.json()["draft"]
    ok = await client.post(
        f"/api/v1/tickets/{tid}/agent/review", json={"approve": True}, headers=admin_headers
    )
    assert ok.status_code == 202, ok.text
    await app.state.dispatcher.drain()
    [sent] = await bot_messages(client, admin_headers, tid)
    assert sent["text"] == pending.json()["draft"]
    [decision] = await traces(client, admin_headers, tid)
    assert decision["action"] == "answer" and decision["review"]["approve"] is True
    gone = await client.get(f"/api/v1/tickets/{tid}/agent/review", headers=admin_headers)
    assert gone.status_code == 404


async def test_a_rejected_draft_escalates(app, client, admin_headers, kb):
    await configure(client, admin_headers, review_mode="all")
    tid = await ask(app, client, admin_headers, "How do I reset my password?", ext="v-2")
    r = await client.post(
        f"/api/v1/tickets/{tid}/agent/review", json={"approve": False}, headers=admin_headers
    )
    assert r.status_code == 202
    await app.state.dispatcher.drain()
    [decision] = await traces(client, admin_headers, tid)
    assert decision["action"] == "escalate" and decision["reason"] == "draft rejected by admin"
    assert (await ticket(client, admin_headers, tid))["owner"] == "human"


async def test_a_human_reply_silences_the_bot_until_handback(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    tid = await ask(app, client, admin_headers, "How do I reset my password?", ext="o-1")
    assert len(await bot_messages(client, admin_headers, tid)) == 1
    # A bot turn starts (the ticket is the bot's), then a human replies before it writes.
    agent = app.state.dispatcher.ctx.extras["agent"]
    body = {
        "external_id": "o-2",
        "customer": {"email": "carol@example.com"},
        "body": "And how do I reset my password on the app?",
    }
    second = (await client.post("/api/v1/inbound", json=body, headers=admin_headers)).json()
    late_input = await agent._input(tid, second["message_id"])
    assert late_input is not None  # the bot still owned the ticket when the turn began
    human = {"body": "Hi Carol, Sam here: I have sent you a reset link."}
    await client.post(f"/api/v1/tickets/{tid}/messages", json=human, headers=admin_headers)
    await app.state.dispatcher.drain()  # the queued job sees a human owner: does nothing
    ctx = await agent.context()
    thread = {"configurable": {"thread_id": str(tid)}}
    result = await agent.graph.ainvoke(late_input, thread, context=ctx)
    assert result["outcome"] == "dropped"  # checked in the transaction that would reply
    assert len(await bot_messages(client, admin_headers, tid)) == 1
    assert (await ticket(client, admin_headers, tid))["owner"] == "human"
    back = await client.post(f"/api/v1/tickets/{tid}/agent/handback", headers=admin_headers)
    assert back.status_code == 200 and back.json()["owner"] == "bot"
    again = await client.post(f"/api/v1/tickets/{tid}/agent/handback", headers=admin_headers)
    assert again.status_code == 409
    await ask(app, client, admin_headers, "I forgot my password again", ext="o-3")
    assert len(await bot_messages(client, admin_headers, tid)) == 2


async def _agent(session, email, **fields):
    return await staff.create_user(session, email=email, password="password-123", **fields)


async def test_escalation_is_routed_to_the_least_loaded_skilled_agent(
    app, client, admin_headers, kb
):
    await kb.add_examples(EXAMPLES)
    await configure(client, admin_headers)
    async with app.state.db.uow() as session:
        skill = {"skills": ["reset_password"], "languages": ["en"], "online": True}
        offline = await _agent(session, "off@x.org", **{**skill, "online": False})
        busy = await _agent(session, "busy@x.org", capacity=1, **skill)
        free = await _agent(session, "free@x.org", capacity=5, **skill)
        unskilled = await _agent(session, "other@x.org", online=True, languages=["en"])
        team = await staff.create_team(
            session, name="Accounts", member_ids=[offline.id, busy.id, free.id, unskilled.id]
        )
        other_team = await staff.create_team(session, name="Shipping")
        ids = {u.email: u.id for u in (offline, busy, free, unskilled)}
    rules = [
        {
            "name": "shipping",
            "position": 0,
            "team_id": other_team.id,
            "conditions": {"intents": ["track_order"]},
        },
        {
            "name": "accounts",
            "position": 1,
            "team_id": team.id,
            "conditions": {"channels": ["api"]},
        },
    ]
    for rule in rules:
        r = await client.post("/api/v1/agent/routing-rules", json=rule, headers=admin_headers)
        assert r.status_code == 201, r.text
    # busy@ already has one open ticket: at capacity 1, so skipped.
    first = await ask(
        app, client, admin_headers, "Can you recommend a pizza?", ext="x-0", email="dan@example.com"
    )
    await client.patch(
        f"/api/v1/tickets/{first}", json={"assignee_id": ids["busy@x.org"]}, headers=admin_headers
    )
    text = "I want to talk to a real person, I forgot my password"
    tid = await ask(app, client, admin_headers, text, ext="x-1")
    [trace] = await traces(client, admin_headers, tid)
    assert trace["triage"]["intent"] == "reset_password"
    got = await ticket(client, admin_headers, tid)
    assert got["team_id"] == team.id and got["assignee_id"] == ids["free@x.org"]
    assert "skill match" in trace["assignment"]["why"]
    async with app.state.db.read() as session:
        handoffs = await session.scalars(select(Message).where(Message.ticket_id == tid))
        assert sum(m.meta.get("handoff", False) for m in handoffs) == 1


async def test_a_solved_escalation_answers_the_next_similar_question(
    app, client, admin_headers, kb
):
    await kb.add_examples(EXAMPLES)
    await configure(client, admin_headers)
    question = "Can I pay for my order with a gift card?"
    tid = await ask(app, client, admin_headers, question, ext="g-1")
    assert (await ticket(client, admin_headers, tid))["owner"] == "human"
    answer = "Yes: choose Gift card under Payment at checkout and enter its code."
    await client.post(
        f"/api/v1/tickets/{tid}/messages", json={"body": answer}, headers=admin_headers
    )
    await client.patch(f"/api/v1/tickets/{tid}", json={"status": "solved"}, headers=admin_headers)
    await app.state.dispatcher.drain()
    async with app.state.db.read() as session:
        [captured] = await kb_examples.list_examples(session, status="pending")
        example_id = captured.id
        assert (captured.text, captured.answer, captured.ticket_id) == (question, answer, tid)
    # Not approved yet: a similar question still goes to a human.
    before = await ask(
        app,
        client,
        admin_headers,
        "Do you accept gift cards as payment?",
        ext="g-2",
        email="erin@example.com",
    )
    assert (await traces(client, admin_headers, before))[0]["action"] == "escalate"
    async with app.state.db.uow() as session:
        await kb_examples.set_status(
            session, example_id=example_id, status="approved", actor=SYSTEM
        )
    after = await ask(
        app,
        client,
        admin_headers,
        "Can I use a gift card to pay for my order?",
        ext="g-3",
        email="finn@example.com",
    )
    [reply] = await bot_messages(client, admin_headers, after)
    assert reply["text"] == answer
    assert (await traces(client, admin_headers, after))[0]["sources"][0]["kind"] == "example"
