"""LLM mode through the real `openai` client against a scripted OpenAI-compatible server:
answer, clarify, escalate, built-in and admin HTTP tools, and a timeout that escalates."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from store.knowledge.models import Chunk
from tests.agent.conftest import ask, bot_messages, configure, ticket, traces
from tests.doubles.openai_api import OpenAIDouble, Step, decision, tool_call


@pytest.fixture
def llm():
    with OpenAIDouble() as double:
        yield double


async def llm_mode(client, headers, llm, **extra):
    return await configure(
        client,
        headers,
        mode="llm",
        llm_base_url=llm.base_url,
        llm_model="test-model",
        llm_api_key=llm.api_key,
        llm_retries=0,
        **extra,
    )


async def test_the_settings_never_show_the_key(client, admin_headers, llm):
    shown = await llm_mode(client, admin_headers, llm)
    assert shown["llm_api_key_set"] is True and "llm_api_key" not in shown
    again = (await client.get("/api/v1/agent/settings", headers=admin_headers)).json()
    assert llm.api_key not in json.dumps(again)


async def test_llm_answer_with_structured_output(app, client, admin_headers, kb, llm):
    await llm_mode(client, admin_headers, llm)
    async with app.state.db.read() as session:
        chunk = await session.scalar(select(Chunk).where(Chunk.title == "Reset your password"))
        chunk_id = str(chunk.id)
    answer = "Choose **Forgot password** on the sign-in page."
    llm.then(decision("answer", answer, sources=[chunk_id, "made-up-id"]))
    tid = await ask(app, client, admin_headers, "How do I reset my password?", ext="l-1")
    [reply] = await bot_messages(client, admin_headers, tid)
    # The inbound API declares no channel limits: plain text, as the model was told to write.
    assert reply["text"].startswith("Choose Forgot password on the sign-in page.")
    [sent] = llm.requests
    assert "as plain text, no Markdown" in sent["messages"][0]["content"]
    assert sent["model"] == "test-model"
    assert sent["response_format"]["json_schema"]["name"] == "decision"
    assert {t["function"]["name"] for t in sent["tools"]} >= {"open_tickets", "ticket_status"}
    assert "Reset your password" in sent["messages"][0]["content"]  # the passages, grounded
    [trace] = await traces(client, admin_headers, tid)
    assert trace["model"] == "test-model" and trace["action"] == "answer"
    assert trace["sources"] == [{"kind": "passage", "id": chunk_id, "title": "Reset your password"}]


async def test_llm_clarify_and_escalate(app, client, admin_headers, kb, llm):
    await llm_mode(client, admin_headers, llm)
    llm.then(decision("clarify", "Do you mean your email or your phone number?"))
    tid = await ask(app, client, admin_headers, "I need to change my details", ext="l-2")
    [question] = await bot_messages(client, admin_headers, tid)
    assert question["text"] == "Do you mean your email or your phone number?"
    llm.then(decision("escalate", "", reason="needs a refund decision"))
    await ask(app, client, admin_headers, "Actually, refund my last order", ext="l-3")
    [_, escalated] = await traces(client, admin_headers, tid)
    assert escalated["action"] == "escalate" and escalated["reason"] == "needs a refund decision"
    assert (await ticket(client, admin_headers, tid))["owner"] == "human"


async def test_llm_calls_a_builtin_tool(app, client, admin_headers, kb, llm):
    await llm_mode(client, admin_headers, llm)
    llm.then(tool_call("open_tickets"), decision("answer", "Your ticket is open."))
    tid = await ask(app, client, admin_headers, "What tickets do I have open?", ext="t-1")
    first, second = llm.requests
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool"
    assert json.loads(tool_message["content"])[0]["number"] == tid
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "open_tickets"
    [trace] = await traces(client, admin_headers, tid)
    assert [c["name"] for c in trace["tool_calls"]] == ["open_tickets"]
    assert (await bot_messages(client, admin_headers, tid))[0]["text"] == "Your ticket is open."


async def test_llm_calls_an_admin_http_tool(app, client, admin_headers, kb, llm):
    host = llm.origin.removeprefix("http://")
    await llm_mode(client, admin_headers, llm, tool_hosts=[host])
    tool = {
        "name": "order_status",
        "description": "Status of an order by its id",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
        "url_template": f"{llm.origin}/shop/orders/{{order_id}}",
        "secret_header": "X-Shop-Key",
        "secret_value": "shop-secret",
    }
    r = await client.post("/api/v1/agent/tools", json=tool, headers=admin_headers)
    assert r.status_code == 201 and "secret_value" not in r.json()
    llm.then(tool_call("order_status", order_id="A-100"), decision("answer", "It ships Friday."))
    tid = await ask(app, client, admin_headers, "Where is order A-100?", ext="t-2")
    [called] = llm.tool_requests
    assert (
        called["path"] == "/shop/orders/A-100" and called["headers"]["X-Shop-Key"] == "shop-secret"
    )
    result = json.loads(llm.requests[1]["messages"][-1]["content"])
    assert result["status"] == 200 and json.loads(result["body"])["status"] == "shipped"
    assert (await bot_messages(client, admin_headers, tid))[0]["text"] == "It ships Friday."


async def test_a_tool_off_the_allow_list_is_refused(client, admin_headers, llm):
    await llm_mode(client, admin_headers, llm, tool_hosts=["api.example.com"])
    tool = {"name": "exfiltrate", "url_template": "http://evil.example.net/x"}
    r = await client.post("/api/v1/agent/tools", json=tool, headers=admin_headers)
    assert r.status_code == 422 and "allow-list" in r.json()["detail"]


async def test_llm_timeout_escalates_and_loses_nothing(app, client, admin_headers, kb, llm):
    await llm_mode(client, admin_headers, llm, llm_timeout=0.3)
    llm.then(Step(delay=1.5))
    tid = await ask(app, client, admin_headers, "How do I reset my password?", ext="to-1")
    [trace] = await traces(client, admin_headers, tid)
    assert trace["action"] == "escalate" and trace["reason"].startswith("LLM failed: APITimeout")
    got = await ticket(client, admin_headers, tid)
    assert got["owner"] == "human"
    assert "How do I reset my password?" in trace["summary"]
    # the suggested reply for the human (in the brief) is the best passage
    assert "Forgot password" in trace["suggested_reply"]


async def test_llm_asks_a_follow_up_reading_the_whole_conversation(
    app, client, admin_headers, kb, llm
):
    await llm_mode(client, admin_headers, llm)
    async with app.state.db.read() as session:
        chunk = await session.scalar(select(Chunk).where(Chunk.title == "Reset your password"))
        chunk_id = str(chunk.id)
    llm.then(decision("answer", "Choose Forgot password on the sign-in page.", sources=[chunk_id]))
    tid = await ask(app, client, admin_headers, "How do I reset my password?", ext="f-1")
    question = "Do you still have access to the email address on your account?"
    llm.then(decision("clarify", question, sources=[chunk_id]))
    assert await ask(app, client, admin_headers, "what if I forgot?", ext="f-2") == tid
    answer, asked = await bot_messages(client, admin_headers, tid)
    assert (
        answer["text"].startswith("Choose Forgot password")
        and "Source: Reset your password" in answer["text"]
    )
    assert asked["text"] == question  # a question cites nothing
    sent = llm.requests[-1]["messages"]
    assert "yes/no follow-up question" in sent[0]["content"]
    assert [m["role"] for m in sent[1:]] == ["user", "assistant", "user"]
    assert sent[1]["content"] == "How do I reset my password?"
    # our answer as the customer read it, less the link (a URL says nothing of the topic)
    assert answer["text"] == sent[2]["content"] + f" ({answer['text'].split(' (')[-1]}"
    assert sent[3]["content"] == "what if I forgot?"
    assert "Reset your password" in sent[0]["content"]  # found with the conversation
    first, second = await traces(client, admin_headers, tid)
    assert second["action"] == "clarify" and second["history"] == ["customer", "agent"]
