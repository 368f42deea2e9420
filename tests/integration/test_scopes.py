"""Scope matrix: every /api/v1 route × no key, unknown key, unrelated scope, right scope."""

from __future__ import annotations

import pytest

from store.staff.service import SCOPES
from tests.gateway_fixtures import make_key
from tests.integration.openapi_routes import api_operations

TR, TW, CR, CW, ADMIN = "tickets:read", "tickets:write", "contacts:read", "contacts:write", "admin"
KR, KW = "kb:read", "kb:write"

# The scope each operation needs. A route missing here fails test_every_route_has_a_scope, so
# nobody adds an endpoint without deciding who may call it.
REQUIRED: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/tickets"): TR,
    ("POST", "/api/v1/tickets"): TW,
    ("POST", "/api/v1/tickets/bulk"): TW,
    ("GET", "/api/v1/tickets/{ticket_id}"): TR,
    ("PATCH", "/api/v1/tickets/{ticket_id}"): TW,
    ("GET", "/api/v1/tickets/{ticket_id}/messages"): TR,
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): TW,
    ("GET", "/api/v1/tickets/{ticket_id}/notes"): TR,
    ("POST", "/api/v1/tickets/{ticket_id}/notes"): TW,
    ("GET", "/api/v1/tickets/{ticket_id}/events"): TR,
    ("POST", "/api/v1/tickets/{ticket_id}/macros/{macro_id}"): TW,
    ("POST", "/api/v1/inbound"): TW,
    ("GET", "/api/v1/contacts"): CR,
    ("POST", "/api/v1/contacts"): CW,
    ("GET", "/api/v1/contacts/{contact_id}"): CR,
    ("PATCH", "/api/v1/contacts/{contact_id}"): CW,
    ("POST", "/api/v1/contacts/{contact_id}/merge"): CW,
    ("GET", "/api/v1/kb/articles"): KR,
    ("POST", "/api/v1/kb/articles"): KW,
    ("GET", "/api/v1/kb/articles/{article_id}"): KR,
    ("PATCH", "/api/v1/kb/articles/{article_id}"): KW,
    ("DELETE", "/api/v1/kb/articles/{article_id}"): KW,
    ("GET", "/api/v1/kb/examples"): KR,
    ("POST", "/api/v1/kb/examples"): KW,
    ("POST", "/api/v1/kb/examples/import"): KW,
    ("POST", "/api/v1/kb/examples/{example_id}/approve"): KW,
    ("POST", "/api/v1/kb/examples/{example_id}/reject"): KW,
    ("DELETE", "/api/v1/kb/examples/{example_id}"): KW,
    ("GET", "/api/v1/review-queue"): TR,
    ("POST", "/api/v1/review-queue/learned/{example_id}"): KW,
    ("GET", "/api/v1/users"): TR,
    ("POST", "/api/v1/users"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("GET", "/api/v1/users/{user_id}/sessions"): ADMIN,
    ("DELETE", "/api/v1/users/{user_id}/sessions"): ADMIN,
    ("GET", "/api/v1/teams"): TR,
    ("POST", "/api/v1/teams"): ADMIN,
    ("PATCH", "/api/v1/teams/{team_id}"): ADMIN,
    ("DELETE", "/api/v1/teams/{team_id}"): ADMIN,
    ("GET", "/api/v1/api-keys"): ADMIN,
    ("POST", "/api/v1/api-keys"): ADMIN,
    ("DELETE", "/api/v1/api-keys/{key_id}"): ADMIN,
    ("GET", "/api/v1/statuses"): TR,
    ("POST", "/api/v1/statuses"): ADMIN,
    ("DELETE", "/api/v1/statuses/{name}"): ADMIN,
    ("GET", "/api/v1/fields"): TR,
    ("POST", "/api/v1/fields"): ADMIN,
    ("DELETE", "/api/v1/fields/{field_id}"): ADMIN,
    ("GET", "/api/v1/macros"): TR,
    ("POST", "/api/v1/macros"): ADMIN,
    ("PATCH", "/api/v1/macros/{macro_id}"): ADMIN,
    ("DELETE", "/api/v1/macros/{macro_id}"): ADMIN,
    ("GET", "/api/v1/webhooks"): ADMIN,
    ("POST", "/api/v1/webhooks"): ADMIN,
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): ADMIN,
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): ADMIN,
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): ADMIN,
    ("GET", "/api/v1/channels"): ADMIN,
    ("POST", "/api/v1/channels"): ADMIN,
    ("GET", "/api/v1/channels/{account_id}"): ADMIN,
    ("PATCH", "/api/v1/channels/{account_id}"): ADMIN,
    ("DELETE", "/api/v1/channels/{account_id}"): ADMIN,
    ("GET", "/api/v1/agent/settings"): ADMIN,
    ("PATCH", "/api/v1/agent/settings"): ADMIN,
    ("GET", "/api/v1/agent/escalation-rules"): ADMIN,
    ("POST", "/api/v1/agent/escalation-rules"): ADMIN,
    ("PATCH", "/api/v1/agent/escalation-rules/{rule_id}"): ADMIN,
    ("DELETE", "/api/v1/agent/escalation-rules/{rule_id}"): ADMIN,
    ("GET", "/api/v1/agent/routing-rules"): ADMIN,
    ("POST", "/api/v1/agent/routing-rules"): ADMIN,
    ("PATCH", "/api/v1/agent/routing-rules/{rule_id}"): ADMIN,
    ("DELETE", "/api/v1/agent/routing-rules/{rule_id}"): ADMIN,
    ("GET", "/api/v1/agent/tools"): ADMIN,
    ("POST", "/api/v1/agent/tools"): ADMIN,
    ("PATCH", "/api/v1/agent/tools/{tool_id}"): ADMIN,
    ("DELETE", "/api/v1/agent/tools/{tool_id}"): ADMIN,
    ("GET", "/api/v1/tickets/{ticket_id}/agent/traces"): TR,
    ("GET", "/api/v1/tickets/{ticket_id}/agent/review"): TR,
    ("POST", "/api/v1/tickets/{ticket_id}/agent/review"): TW,
    ("POST", "/api/v1/tickets/{ticket_id}/agent/handback"): TW,
    ("PATCH", "/api/v1/me"): TR,
    ("GET", "/api/v1/assignment/settings"): TR,
    ("PUT", "/api/v1/assignment/settings"): ADMIN,
    ("PATCH", "/api/v1/assignment/settings"): ADMIN,
    ("GET", "/api/v1/queue"): TR,
    ("POST", "/api/v1/queue/next"): TW,
    ("POST", "/api/v1/tickets/{ticket_id}/assign"): TW,
    ("GET", "/api/v1/sla-policies"): ADMIN,
    ("POST", "/api/v1/sla-policies"): ADMIN,
    ("GET", "/api/v1/sla-policies/{policy_id}"): ADMIN,
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): ADMIN,
    ("DELETE", "/api/v1/sla-policies/{policy_id}"): ADMIN,
    ("GET", "/api/v1/sla-rules"): ADMIN,
    ("POST", "/api/v1/sla-rules"): ADMIN,
    ("GET", "/api/v1/sla-rules/{rule_id}"): ADMIN,
    ("PATCH", "/api/v1/sla-rules/{rule_id}"): ADMIN,
    ("DELETE", "/api/v1/sla-rules/{rule_id}"): ADMIN,
    ("GET", "/api/v1/teams/{team_id}/hours"): TR,
    ("PUT", "/api/v1/teams/{team_id}/hours"): ADMIN,
    ("DELETE", "/api/v1/teams/{team_id}/hours"): ADMIN,
    ("GET", "/api/v1/teams/{team_id}/hours/status"): TR,
    ("GET", "/api/v1/business-hours/channels"): TR,
    ("PUT", "/api/v1/business-hours/channels/{channel}"): ADMIN,
    ("GET", "/api/v1/business-hours/channels/{channel}/status"): TR,
    ("GET", "/api/v1/help/categories"): KR,
    ("POST", "/api/v1/help/categories"): KW,
    ("PATCH", "/api/v1/help/categories/{category_id}"): KW,
    ("DELETE", "/api/v1/help/categories/{category_id}"): KW,
    ("PUT", "/api/v1/help/articles/{article_id}/placement"): KW,
    ("GET", "/api/v1/help/articles/{article_id}/votes"): KR,
    ("GET", "/api/v1/help/deflections"): KR,
    ("GET", "/api/v1/contacts/{contact_id}/duplicates"): CR,
    ("GET", "/api/v1/contacts/{contact_id}/export"): ADMIN,
    ("POST", "/api/v1/contacts/{contact_id}/erase"): ADMIN,
}

# A key that lacks the scope: for a read/write scope, the other scopes of the same family are
# not enough (read does not imply write); for admin, every other scope together is not enough.
WRONG: dict[str, list[str]] = {
    TR: ["tickets:write", "contacts:read", "kb:read"],
    TW: ["tickets:read", "contacts:write", "kb:write"],
    CR: ["contacts:write", "tickets:read", "kb:read"],
    CW: ["contacts:read", "tickets:write", "kb:write"],
    KR: ["kb:write", "tickets:read", "contacts:read"],
    KW: ["kb:read", "tickets:write", "contacts:write"],
    ADMIN: [s for s in SCOPES if s != ADMIN],
}


async def call(client, op, headers: dict[str, str]):
    body = {} if op.body_schema is not None else None
    return await client.request(op.method, op.url(), json=body, headers=headers)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def operations(app):
    return api_operations(app)


def test_every_route_has_a_scope(operations):
    served = {op.key for op in operations}
    assert served - REQUIRED.keys() == set(), "routes with no entry in REQUIRED"
    assert REQUIRED.keys() - served == set(), "entries in REQUIRED for routes that do not exist"


async def _outcomes(client, operations, headers_for) -> list[tuple[str, str, int, str]]:
    seen = []
    for op in operations:
        r = await call(client, op, headers_for(op))
        seen.append((op.method, op.path, r.status_code, r.headers.get("content-type", "")))
    return seen


async def test_no_key_is_401_problem(client, operations):
    seen = await _outcomes(client, operations, lambda op: {})
    wrong = [s for s in seen if s[2] != 401 or s[3] != "application/problem+json"]
    assert wrong == []


async def test_unknown_or_malformed_key_is_401(client, operations):
    forged = _bearer("acrm_" + "x" * 43)
    assert [s for s in await _outcomes(client, operations, lambda op: forged) if s[2] != 401] == []
    basic = {"Authorization": "Basic YWRtaW46YWRtaW4="}
    assert [s for s in await _outcomes(client, operations, lambda op: basic) if s[2] != 401] == []


async def test_unrelated_scopes_are_403(app, client, operations):
    keys = {scope: _bearer(await make_key(app, others)) for scope, others in WRONG.items()}
    seen = await _outcomes(client, operations, lambda op: keys[REQUIRED[op.key]])
    wrong = [s for s in seen if s[2] != 403 or s[3] != "application/problem+json"]
    assert wrong == []


@pytest.mark.parametrize("use_admin", [False, True], ids=["exact-scope", "admin"])
async def test_right_scope_passes_auth_and_never_500(app, client, operations, use_admin):
    keys = {s: _bearer(await make_key(app, [ADMIN if use_admin else s])) for s in WRONG}
    seen = await _outcomes(client, operations, lambda op: keys[REQUIRED[op.key]])
    wrong = [s for s in seen if s[2] in (401, 403) or s[2] >= 500]
    assert wrong == []


async def test_revoked_key_is_401(app, client, admin_headers):
    created = await client.post(
        "/api/v1/api-keys", json={"name": "temp", "scopes": [TR]}, headers=admin_headers
    )
    headers = _bearer(created.json()["key"])
    assert (await client.get("/api/v1/tickets", headers=headers)).status_code == 200
    revoked = await client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    after = await client.get("/api/v1/tickets", headers=headers)
    assert after.status_code == 401
    assert after.headers["content-type"] == "application/problem+json"
    assert "revoked" in after.json()["detail"]
