"""Bad input gets a 4xx problem+json that says what is wrong, never a 500."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.integration.openapi_routes import api_operations

PROBLEM = "application/problem+json"
TICKET = {"subject": "Hi", "body": "Hello", "customer": {"email": "c@example.com"}}
BIG = 2**64  # over every integer column on both engines


def assert_problem(r, status: int, *words: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for word in words:
        assert word in body["detail"], body
    return body


@pytest.fixture
async def ticket(client, admin_headers) -> dict:
    r = await client.post("/api/v1/tickets", json=TICKET, headers=admin_headers)
    return r.json()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/tickets", {**TICKET, "colour": "red"}, "colour"),
        ("/api/v1/contacts", {"name": "A", "nickname": "B"}, "nickname"),
        ("/api/v1/webhooks", {"url": "http://127.0.0.1:9/", "retries": 3}, "retries"),
        ("/api/v1/tickets/bulk", {"ids": [1], "changes": {"prio": "high"}}, "changes.prio"),
    ],
)
async def test_unknown_field_is_named(client, admin_headers, path, body, field):
    r = await client.post(path, json=body, headers=admin_headers)
    problem = assert_problem(r, 422, field)
    assert any(e["type"] == "extra_forbidden" for e in problem["errors"])


async def test_unknown_field_on_patch_is_named(client, admin_headers, ticket):
    r = await client.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"asignee": 1}, headers=admin_headers
    )
    assert_problem(r, 422, "asignee")


async def test_invalid_enum_value(client, admin_headers, ticket):
    r = await client.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"priority": "mega"}, headers=admin_headers
    )
    assert_problem(r, 422, "priority")
    listed = await client.get("/api/v1/tickets?priority=mega", headers=admin_headers)
    assert_problem(listed, 422, "priority")
    unchanged = await client.get(f"/api/v1/tickets/{ticket['id']}", headers=admin_headers)
    assert unchanged.json()["priority"] == "normal"


async def test_oversized_body_is_413(app, client, admin_headers):
    limit = app.state.settings.max_body_bytes
    body = {**TICKET, "body": "x" * (limit + 1)}
    r = await client.post("/api/v1/tickets", json=body, headers=admin_headers)
    assert_problem(r, 413, str(limit))


async def test_oversized_chunked_body_is_413(app, client, admin_headers):
    """No Content-Length to check up front: the limit must hold while the body streams in."""
    limit = app.state.settings.max_body_bytes
    raw = json.dumps({**TICKET, "body": "x" * (limit + 1)}).encode()

    async def chunks():
        for i in range(0, len(raw), 64_000):
            yield raw[i : i + 64_000]

    headers = {**admin_headers, "Content-Type": "application/json"}
    r = await client.post("/api/v1/tickets", content=chunks(), headers=headers)
    assert_problem(r, 413, str(limit))


async def test_malformed_json_is_422(client, admin_headers):
    headers = {**admin_headers, "Content-Type": "application/json"}
    r = await client.post("/api/v1/tickets", content=b'{"subject": "Hi",', headers=headers)
    assert_problem(r, 422)


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        "%%%",
        _cursor({"a": 1}),
        _cursor([1, 2]),
        _cursor(["2024-01-01T00:00:00", [1]]),
        _cursor(["2024-01-01T00:00:00", 1e400]),
        _cursor(["yesterday", 1]),
    ],
)
async def test_bad_cursor_is_422(client, admin_headers, cursor):
    r = await client.get("/api/v1/tickets", params={"cursor": cursor}, headers=admin_headers)
    assert_problem(r, 422, "cursor")


async def test_cursor_with_an_id_past_any_column_is_422(client, admin_headers):
    cursor = _cursor(["2024-01-01T00:00:00", BIG])
    r = await client.get("/api/v1/tickets", params={"cursor": cursor}, headers=admin_headers)
    assert_problem(r, 422)


@pytest.mark.parametrize("ticket_id", [999_999, 0, -1])
async def test_nonexistent_ids_are_404(client, admin_headers, ticket_id):
    for suffix in ("", "/messages", "/notes", "/events"):
        r = await client.get(f"/api/v1/tickets/{ticket_id}{suffix}", headers=admin_headers)
        assert_problem(r, 404, str(ticket_id))
    patched = await client.patch(
        f"/api/v1/tickets/{ticket_id}", json={"priority": "low"}, headers=admin_headers
    )
    assert_problem(patched, 404)


@pytest.mark.parametrize("value", [BIG, 2**31, "12abc"])
async def test_out_of_range_ids_are_4xx(client, admin_headers, ticket, value):
    for path in (f"/api/v1/tickets/{value}", f"/api/v1/contacts/{value}"):
        r = await client.get(path, headers=admin_headers)
        assert 400 <= r.status_code < 500 and r.headers["content-type"] == PROBLEM
    r = await client.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"assignee_id": value}, headers=admin_headers
    )
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == PROBLEM
    r = await client.get(f"/api/v1/tickets?assignee_id={value}", headers=admin_headers)
    assert r.status_code < 500


@pytest.mark.parametrize(
    ("changes", "read"),
    [
        ({"subject": "a\x00b"}, lambda t: t["subject"]),
        ({"tags": ["t" * 5000]}, lambda t: t["tags"]),
        ({"add_tags": ["\x00"]}, lambda t: t["tags"]),
    ],
    ids=["nul-subject", "long-tag", "nul-tag"],
)
async def test_text_the_database_cannot_hold_is_refused_or_kept_exact(
    app, client, admin_headers, ticket, changes, read
):
    """PostgreSQL refuses NUL and over-long text: 422, nothing changed. SQLite keeps both."""
    url = f"/api/v1/tickets/{ticket['id']}"
    r = await client.patch(url, json=changes, headers=admin_headers)
    after = (await client.get(url, headers=admin_headers)).json()
    if r.status_code == 200:
        assert app.state.db.is_sqlite
        assert read(after) == next(iter(changes.values()))
    else:
        assert_problem(r, 422, "does not fit the database")
        assert after["subject"] == "Hi" and after["tags"] == []


# --- a property-style sweep: every write route × junk bodies and junk field values ----------

JUNK_BODIES = [None, [], "text", 12, {}, {"x": 1}]
JUNK_VALUES = [None, -1, 0, BIG, 2**31, 1e308, "x" * 20_000, "\x00", [], {"x": 1}, [-1, BIG]]


async def _world(client, headers) -> dict[str, object]:
    """One of each thing a path can name, so junk reaches the services, not just a 404."""

    async def made(path: str, body: dict) -> dict:
        r = await client.post(path, json=body, headers=headers)
        assert r.status_code == 201, r.text
        return r.json()

    ticket = await made("/api/v1/tickets", TICKET)
    user = await made("/api/v1/users", {"email": "u@example.com", "password": "password-1"})
    team = await made("/api/v1/teams", {"name": "T", "member_ids": [user["id"]]})
    macro = await made("/api/v1/macros", {"name": "M", "body": "Hi"})
    hook = await made("/api/v1/webhooks", {"url": "http://127.0.0.1:9/"})
    field = await made("/api/v1/fields", {"key": "k", "label": "K", "type": "text"})
    status = await made("/api/v1/statuses", {"name": "later", "category": "pending"})
    return {
        "ticket_id": ticket["id"],
        "contact_id": ticket["contact_id"],
        "user_id": user["id"],
        "team_id": team["id"],
        "macro_id": macro["id"],
        "webhook_id": hook["id"],
        "field_id": field["id"],
        "name": status["name"],
    }


def _bodies(op) -> list:
    props = (op.body_schema or {}).get("properties", {})
    return JUNK_BODIES + [{name: value} for name in props for value in JUNK_VALUES]


@pytest.fixture
async def lenient(app):
    """A client that gets the 500 response instead of the server's exception, to list them."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _failed(r) -> bool:
    return r.status_code >= 500 or (
        r.status_code >= 400 and r.headers.get("content-type") != PROBLEM
    )


async def test_junk_never_gets_a_500(app, lenient, admin_headers):
    world = await _world(lenient, admin_headers)
    writes = [op for op in api_operations(app) if op.body_schema is not None]
    assert len(writes) >= 15  # the sweep really covers the write API
    headers = {**admin_headers, "Content-Type": "application/json"}
    seen, bad = set(), []
    for op in writes:
        for body in _bodies(op):
            r = await lenient.request(
                op.method, op.url(world), content=json.dumps(body), headers=headers
            )
            seen.add(r.status_code)
            if _failed(r):
                bad.append((op.method, op.path, repr(body)[:80], r.status_code))
    assert bad == []
    assert {200, 201, 404, 422} <= seen  # junk got past validation into the services
    # Nothing the junk left behind breaks a read or the outbox.
    reads = [op for op in api_operations(app) if op.method == "GET"]
    broken = [op.path for op in reads if _failed(await lenient.get(op.url(world), headers=headers))]
    assert broken == []
    await app.state.dispatcher.drain()


@pytest.mark.parametrize("value", [-1, 0, BIG, "%00", "x" * 300])
async def test_junk_path_and_query_values_never_get_a_500(app, lenient, admin_headers, value):
    bad = []
    for op in api_operations(app):
        if op.method != "GET":
            continue
        params = {"limit": value, "after_id": value, "assignee_id": value, "q": value}
        r = await lenient.get(op.url(default_int=value), params=params, headers=admin_headers)
        if _failed(r):
            bad.append((op.path, r.status_code))
    assert bad == []
