"""Safe learning through the running gateway: a human's resolution becomes a scrubbed draft in
the review queue; edit, approve and reject go through the API; an approved draft answers the
next customer without a trace of the first one."""

from __future__ import annotations

from store.knowledge import examples as kb_examples
from tests.agent.conftest import EXAMPLES, ask, bot_messages, configure, ticket, traces

QUESTION = "Can you gift wrap my order and add a message card?"
ANSWER = (
    "Hi Carol,\n\n"
    "Done: I've added gift wrap to order 48213. Your parcel ships with tracking number "
    "1Z999AA10123456784 and we sent the details to carol@example.com.\n\n"
    "Gift wrap is free on every order: choose Gift options at checkout and type your message "
    "for the card.\n\n"
    "Best,\nAnna"
)
CAROL = ("Carol", "48213", "1Z999AA10123456784", "carol@example.com", "Anna")


async def _resolve(app, client, headers, question=QUESTION, answer=ANSWER, ext="a-1") -> int:
    """Carol asks, the bot escalates, an agent answers and solves: a draft is captured."""
    tid = await ask(app, client, headers, question, ext=ext)
    assert (await ticket(client, headers, tid))["owner"] == "human"
    r = await client.post(f"/api/v1/tickets/{tid}/messages", json={"body": answer}, headers=headers)
    assert r.status_code in (200, 201), r.text
    await client.patch(f"/api/v1/tickets/{tid}", json={"status": "solved"}, headers=headers)
    await app.state.dispatcher.drain()
    return tid


async def _learned(client, headers) -> list[dict]:
    r = await client.get("/api/v1/review-queue", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["learned"]


async def test_an_approved_resolution_reaches_the_next_customer_without_her_data(
    app, client, admin_headers, kb
):
    await kb.add_examples(EXAMPLES)
    await configure(client, admin_headers)
    tid = await _resolve(app, client, admin_headers)
    [draft] = await _learned(client, admin_headers)
    assert draft["ticket_id"] == tid and draft["status"] == "pending"
    for specific in CAROL:
        assert specific not in draft["answer"]
    assert "{tracking_number}" in draft["answer"] and "{email}" in draft["answer"]
    originals = {(r["kind"], r["original"]) for r in draft["redactions"]}
    assert ("tracking_number", "1Z999AA10123456784") in originals  # for the reviewer's eyes
    listed = (await client.get("/api/v1/kb/examples", headers=admin_headers)).text
    assert "1Z999AA10123456784" not in listed  # kb:read lists examples, never the originals

    url = f"/api/v1/review-queue/learned/{draft['id']}"
    approved = (await client.post(url, json={"action": "approve"}, headers=admin_headers)).json()
    assert approved["status"] == "approved"
    assert all("original" not in r for r in approved["redactions"])
    assert "{" not in approved["answer"] and "Gift wrap is free" in approved["answer"]

    other = await ask(
        app,
        client,
        admin_headers,
        "Can you gift wrap my order and add a card with a message?",
        ext="b-1",
        email="dave@example.com",
    )
    [reply] = await bot_messages(client, admin_headers, other)
    assert (await traces(client, admin_headers, other))[0]["sources"][0]["kind"] == "example"
    assert "Gift wrap is free on every order" in reply["text"]
    for specific in CAROL:
        assert specific not in reply["text"]
    assert "{" not in reply["text"] and "}" not in reply["text"]


async def test_a_draft_is_edited_then_approved_and_only_then_teaches(
    app, client, admin_headers, kb
):
    await configure(client, admin_headers)
    await _resolve(app, client, admin_headers)
    [draft] = await _learned(client, admin_headers)
    url = f"/api/v1/review-queue/learned/{draft['id']}"
    edit = {"action": "edit", "answer": "Gift wrap is free: pick Gift options at checkout."}
    edited = (await client.post(url, json=edit, headers=admin_headers)).json()
    assert edited["status"] == "pending" and edited["answer"] == edit["answer"]
    async with app.state.db.read() as session:
        assert await kb_examples.list_examples(session, status="approved") == []
    done = await client.post(
        url, json={"action": "approve", "label": "gift_wrap"}, headers=admin_headers
    )
    assert done.json()["status"] == "approved" and done.json()["label"] == "gift_wrap"
    assert done.json()["reviewed_by"] == "admin"
    again = await client.post(url, json={"action": "reject"}, headers=admin_headers)
    assert again.status_code == 422  # decided already


async def test_a_rejected_draft_keeps_out_and_forgets_the_originals(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    await _resolve(app, client, admin_headers)
    [draft] = await _learned(client, admin_headers)
    url = f"/api/v1/review-queue/learned/{draft['id']}"
    rejected = (await client.post(url, json={"action": "reject"}, headers=admin_headers)).json()
    assert rejected["status"] == "rejected"
    assert all("original" not in r for r in rejected["redactions"])
    assert await _learned(client, admin_headers) == []


async def test_an_answer_made_only_of_specifics_cannot_be_approved(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    await _resolve(app, client, admin_headers, answer="Tracking: 1Z999AA10123456784")
    [draft] = await _learned(client, admin_headers)
    url = f"/api/v1/review-queue/learned/{draft['id']}"
    r = await client.post(url, json={"action": "approve"}, headers=admin_headers)
    assert r.status_code == 422 and "general terms" in r.json()["detail"]


async def test_the_queue_holds_the_bots_drafts_of_review_mode_too(app, client, admin_headers, kb):
    await kb.add_examples(EXAMPLES)
    await configure(client, admin_headers, review_mode="all")
    tid = await ask(app, client, admin_headers, "I forgot my password", ext="r-1")
    queue = (await client.get("/api/v1/review-queue", headers=admin_headers)).json()
    [held] = queue["bot_drafts"]
    assert held["ticket_id"] == tid and "Forgot password" in held["draft"]
    r = await client.post(
        f"/api/v1/tickets/{tid}/agent/review",
        json={"approve": True, "text": "Use Forgot password on the sign-in page, please."},
        headers=admin_headers,
    )
    assert r.status_code == 202
    await app.state.dispatcher.drain()
    assert (await client.get("/api/v1/review-queue", headers=admin_headers)).json()[
        "bot_drafts"
    ] == []
    [reply] = await bot_messages(client, admin_headers, tid)
    assert reply["text"].startswith("Use Forgot password on the sign-in page, please.")


async def test_agents_without_kb_write_see_bot_drafts_but_not_learned_ones(
    app, client, admin_headers, kb
):
    from tests.gateway_fixtures import make_key

    await configure(client, admin_headers)
    await _resolve(app, client, admin_headers)
    key = await make_key(app, ["tickets:read", "tickets:write"], name="agent-key")
    headers = {"Authorization": f"Bearer {key}"}
    queue = (await client.get("/api/v1/review-queue", headers=headers)).json()
    assert queue["learned"] == [] and queue["can_review_learned"] is False
    [draft] = await _learned(client, admin_headers)
    r = await client.post(
        f"/api/v1/review-queue/learned/{draft['id']}", json={"action": "approve"}, headers=headers
    )
    assert r.status_code == 403
