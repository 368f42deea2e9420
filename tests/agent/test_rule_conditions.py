"""Rule conditions through the running gateway (SQLite and PostgreSQL): escalation rules on
text patterns, priority, contact attributes and ticket tags; routing rules picking the team by
tag, priority, text and time; a bad pattern refused on save."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent_graph.rules import facts_of
from store.agent.conditions import conditions_match
from store.staff import service as staff
from tests.agent.conftest import configure, ticket, traces

PASSWORD = "How do I reset my password?"
HUMAN = "I want to talk to a real person please"
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def say(app, client, headers, text: str, *, ext: str, thread: str | None = None) -> int:
    """A message from carol@ through the inbound API (optionally into a thread), then its jobs."""
    body = {"external_id": ext, "customer": {"email": "carol@example.com"}, "body": text}
    if thread:
        body["thread_key"] = thread
    r = await client.post("/api/v1/inbound", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    await app.state.dispatcher.drain()
    return r.json()["ticket_id"]


async def add_rule(client, headers, kind: str, rule: dict) -> None:
    r = await client.post(f"/api/v1/agent/{kind}-rules", json=rule, headers=headers)
    assert r.status_code == 201, r.text


async def carol(client, headers, **attributes) -> None:
    identities = [{"kind": "email", "value": "carol@example.com"}]
    body = {"name": "Carol", "identities": identities, "attributes": attributes}
    r = await client.post("/api/v1/contacts", json=body, headers=headers)
    assert r.status_code == 201, r.text


async def last_trace(client, headers, ticket_id: int) -> dict:
    return (await traces(client, headers, ticket_id))[-1]


@pytest.mark.parametrize(
    ("conditions", "text", "attributes", "fires"),
    [
        ({"matches": r"order\s*#?\d{4,}"}, PASSWORD + " Order #12345", {}, True),
        ({"matches": r"order\s*#?\d{4,}"}, PASSWORD + " Order #12", {}, False),
        ({"priorities": ["urgent", "high"]}, "URGENT: " + PASSWORD, {}, True),
        ({"priorities": ["urgent", "high"]}, PASSWORD, {}, False),
        ({"contact_attributes": {"plan": "Enterprise"}}, PASSWORD, {"plan": "enterprise"}, True),
        ({"contact_attributes": {"plan": "Enterprise"}}, PASSWORD, {"plan": "free"}, False),
        ({"contact_attributes": {"plan": "Enterprise"}}, PASSWORD, {}, False),
    ],
    ids=["regex", "regex-no", "priority", "priority-no", "attr", "attr-other", "attr-missing"],
)
async def test_an_escalation_rule_condition(
    app, client, admin_headers, kb, conditions, text, attributes, fires
):
    await configure(client, admin_headers)
    await carol(client, admin_headers, **attributes)
    await add_rule(client, admin_headers, "escalation", {"name": "r", "conditions": conditions})
    tid = await say(app, client, admin_headers, text, ext="m-1")
    trace = await last_trace(client, admin_headers, tid)
    if fires:
        assert trace["action"] == "escalate" and trace["rule"] == "r", trace
    else:
        assert trace["action"] == "answer" and trace.get("rule") is None, trace


async def test_an_escalation_rule_on_a_tag_an_agent_set(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    rule = {"name": "billing", "conditions": {"tags": ["Billing"]}}
    await add_rule(client, admin_headers, "escalation", rule)
    tid = await say(app, client, admin_headers, PASSWORD, ext="m-1", thread="t")
    assert (await last_trace(client, admin_headers, tid))["action"] == "answer"
    r = await client.patch(
        f"/api/v1/tickets/{tid}", json={"add_tags": ["billing"]}, headers=admin_headers
    )
    assert r.status_code == 200, r.text
    again = await say(app, client, admin_headers, "And my old one?", ext="m-2", thread="t")
    assert again == tid
    trace = await last_trace(client, admin_headers, tid)
    assert trace["action"] == "escalate" and trace["rule"] == "billing"


async def _teams(app) -> dict[str, int]:
    async with app.state.db.uow() as session:
        return {
            name: (await staff.create_team(session, name=name)).id
            for name in ("Urgent", "Billing", "Nights")
        }


async def _routes(client, headers, teams: dict[str, int]) -> None:
    rules = [
        ("urgent first", {"priorities": ["urgent"]}, "Urgent"),
        ("billing tag", {"tags": ["billing"]}, "Billing"),
        ("invoices in words", {"matches": r"\binvoices?\b"}, "Billing"),
        ("never", {"window": {"days": [], "start": "00:00", "end": "23:59"}}, "Nights"),
    ]
    for position, (name, conditions, team) in enumerate(rules):
        rule = {"name": name, "position": position, "conditions": conditions}
        await add_rule(client, headers, "routing", rule | {"team_id": teams[team]})


@pytest.mark.parametrize(
    ("text", "tag", "team", "rule"),
    [
        ("URGENT! " + HUMAN, None, "Urgent", "urgent first"),
        (HUMAN, "billing", "Billing", "billing tag"),
        (HUMAN + " about my invoice", None, "Billing", "invoices in words"),
        (HUMAN, None, None, None),
    ],
    ids=["priority", "tag", "regex", "none"],
)
async def test_routing_rules_pick_the_team(app, client, admin_headers, kb, text, tag, team, rule):
    await configure(client, admin_headers)
    teams = await _teams(app)
    await _routes(client, admin_headers, teams)
    if tag:  # the ticket exists first and an agent tags it
        tid = await say(app, client, admin_headers, PASSWORD, ext="m-0", thread="t")
        r = await client.patch(
            f"/api/v1/tickets/{tid}", json={"add_tags": [tag]}, headers=admin_headers
        )
        assert r.status_code == 200, r.text
    tid = await say(app, client, admin_headers, text, ext="m-1", thread="t")
    trace = await last_trace(client, admin_headers, tid)
    assert trace["action"] == "escalate"
    assert (await ticket(client, admin_headers, tid))["team_id"] == (team and teams[team])
    why = trace["assignment"]["why"]
    assert why.startswith(f"rule {rule!r}" if rule else "no routing rule matched")


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("order #(\\d+", "not a valid regular expression"),
        ("(a+)+$", "nested quantifiers"),
        ("x" * 201, "at most 200 characters"),
    ],
)
@pytest.mark.parametrize("kind", ["escalation", "routing"])
async def test_a_bad_pattern_is_refused_on_save(app, client, admin_headers, kind, pattern, says):
    rule = {"name": "bad", "conditions": {"matches": pattern}}
    if kind == "routing":
        async with app.state.db.uow() as session:
            rule["team_id"] = (await staff.create_team(session, name="T")).id
    r = await client.post(f"/api/v1/agent/{kind}-rules", json=rule, headers=admin_headers)
    assert r.status_code == 422 and says in r.text, r.text
    assert (await client.get(f"/api/v1/agent/{kind}-rules", headers=admin_headers)).json() == []


async def test_a_pattern_is_refused_on_update_too(app, client, admin_headers):
    await add_rule(client, admin_headers, "escalation", {"name": "ok", "conditions": {}})
    [rule] = (await client.get("/api/v1/agent/escalation-rules", headers=admin_headers)).json()
    path = f"/api/v1/agent/escalation-rules/{rule['id']}"
    r = await client.patch(path, json={"conditions": {"matches": "(["}}, headers=admin_headers)
    assert r.status_code == 422 and "regular expression" in r.text, r.text


def test_facts_see_the_ticket_as_triage_leaves_it():
    state = {"text": "hi", "channel": "api", "tags": ["negative"], "priority": "high"}
    state |= {"ticket_tags": ["billing"], "ticket_priority": "urgent", "sentiment": -0.6}
    facts = facts_of(state)
    assert facts["tags"] == ["billing", "negative"] and facts["priority"] == "urgent"
    assert facts_of(state | {"ticket_priority": "low"})["priority"] == "high"
    assert facts_of(state, tags=[])["tags"] == []
    # escalation-only conditions hold for routing too: one matcher for both
    assert conditions_match({"sentiment_below": -0.5, "tags": ["BILLING"]}, facts, NOON)
    assert not conditions_match({"sentiment_below": -0.7}, facts, NOON)
    assert not conditions_match({"matches": "^bye"}, facts, NOON)
