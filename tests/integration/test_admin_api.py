"""Admin API: contacts and identities, users and teams, macros, API keys, channel accounts."""

from __future__ import annotations

from tests.gateway_fixtures import make_key

PHONE = "+15551230001"


async def post(client, headers, path: str, body: dict, status: int = 201) -> dict:
    r = await client.post(path, json=body, headers=headers)
    assert r.status_code == status, r.text
    return r.json()


async def test_identities_gather_on_one_contact(client, admin_headers):
    h = admin_headers
    ann = await post(
        client,
        h,
        "/api/v1/contacts",
        {"name": "Ann", "identities": [{"kind": "email", "value": "Ann@Example.com"}]},
    )
    assert ann["email"] == "ann@example.com"  # normalised, so any spelling finds her
    url = f"/api/v1/contacts/{ann['id']}"
    r = await client.patch(url, json={"identities": [{"kind": "phone", "value": PHONE}]}, headers=h)
    assert r.status_code == 200 and r.json()["phone"] == PHONE
    assert {(i["kind"], i["value"]) for i in r.json()["identities"]} == {
        ("email", "ann@example.com"),
        ("phone", PHONE),
    }
    # A message from either identity lands on the same person.
    by_phone = await post(
        client,
        h,
        "/api/v1/inbound",
        {"external_id": "sms-1", "customer": {"phone": PHONE}, "body": "hi"},
    )
    by_mail = await post(
        client,
        h,
        "/api/v1/inbound",
        {"external_id": "mail-1", "customer": {"email": "ANN@example.com"}, "body": "hello"},
    )
    for result in (by_phone, by_mail):
        ticket = (await client.get(f"/api/v1/tickets/{result['ticket_id']}", headers=h)).json()
        assert ticket["contact_id"] == ann["id"]
    found = (await client.get("/api/v1/contacts?q=555123", headers=h)).json()
    assert [c["id"] for c in found] == [ann["id"]]


async def test_identity_owned_by_another_contact_is_409(client, admin_headers):
    h = admin_headers
    ann = {"name": "Ann", "identities": [{"kind": "email", "value": "ann@example.com"}]}
    await post(client, h, "/api/v1/contacts", ann)
    bob = await post(client, h, "/api/v1/contacts", {"name": "Bob"})
    clash = await client.patch(
        f"/api/v1/contacts/{bob['id']}",
        json={"identities": [{"kind": "email", "value": "ANN@example.com"}]},
        headers=h,
    )
    assert clash.status_code == 409 and "ann@example.com" in clash.json()["detail"]
    twin = await client.post("/api/v1/contacts", json={**ann, "name": "Ann 2"}, headers=h)
    assert twin.status_code == 409
    bob_now = (await client.get(f"/api/v1/contacts/{bob['id']}", headers=h)).json()
    assert bob_now["identities"] == []


async def test_users_and_teams(client, admin_headers):
    h = admin_headers
    user = {"email": "Agent@Example.com", "password": "long password", "skills": ["billing"]}
    agent = await post(client, h, "/api/v1/users", user)
    assert agent["email"] == "agent@example.com" and agent["role"] == "agent"
    assert "password" not in agent and "password_hash" not in agent
    await post(client, h, "/api/v1/users", user, status=409)
    short = await client.post("/api/v1/users", json={**user, "password": "short"}, headers=h)
    assert short.status_code == 422
    changed = await client.patch(
        f"/api/v1/users/{agent['id']}", json={"role": "admin", "capacity": 5}, headers=h
    )
    assert (changed.json()["role"], changed.json()["capacity"]) == ("admin", 5)

    team = await post(client, h, "/api/v1/teams", {"name": "Billing", "member_ids": [agent["id"]]})
    assert [m["id"] for m in team["members"]] == [agent["id"]]
    await post(client, h, "/api/v1/teams", {"name": "Billing"}, status=409)
    ghost = await client.post("/api/v1/teams", json={"name": "X", "member_ids": [999]}, headers=h)
    assert ghost.status_code == 404
    url = f"/api/v1/teams/{team['id']}"
    renamed = await client.patch(url, json={"description": "money"}, headers=h)
    assert renamed.status_code == 200 and renamed.json()["members"][0]["id"] == agent["id"]
    emptied = await client.patch(url, json={"member_ids": []}, headers=h)
    assert emptied.status_code == 200 and emptied.json()["members"] == []
    listed = (await client.get("/api/v1/teams", headers=h)).json()
    assert [(t["name"], t["description"]) for t in listed] == [("Billing", "money")]
    assert (await client.delete(url, headers=h)).status_code == 204
    assert (await client.get("/api/v1/teams", headers=h)).json() == []
    assert (await client.delete(url, headers=h)).status_code == 404


async def _ticket(client, headers) -> int:
    body = {"subject": "Refund?", "body": "Please", "customer": {"email": "r@example.com"}}
    return (await post(client, headers, "/api/v1/tickets", body))["id"]


async def test_macro_replies_sets_status_and_tags_in_one_call(app, client, admin_headers):
    macro = await post(
        client,
        admin_headers,
        "/api/v1/macros",
        {
            "name": "Refund done",
            "body": "We refunded you.",
            "actions": {"status": "solved", "add_tags": ["refund"], "priority": "low"},
        },
    )
    assert macro["actions"] == {"status": "solved", "add_tags": ["refund"], "priority": "low"}
    agent = {"Authorization": f"Bearer {await make_key(app, ['tickets:read', 'tickets:write'])}"}
    tid = await _ticket(client, agent)
    r = await client.post(f"/api/v1/tickets/{tid}/macros/{macro['id']}", headers=agent)
    assert r.status_code == 200, r.text
    ticket, message = r.json()["ticket"], r.json()["message"]
    assert (ticket["status"], ticket["tags"], ticket["priority"]) == ("solved", ["refund"], "low")
    assert message["text"] == "We refunded you." and message["direction"] == "out"
    events = (await client.get(f"/api/v1/tickets/{tid}/events", headers=agent)).json()
    changes = [(e["type"], e["after"]) for e in events[1:]]
    assert changes == [
        ("ticket.updated", {"owner": "human"}),
        ("ticket.updated", {"status": "open"}),
        ("message.queued", None),
        ("ticket.updated", {"status": "solved", "priority": "low", "tags": ["refund"]}),
    ]
    assert {e["actor_kind"] for e in events[1:]} == {"apikey"}
    assert events[-1]["before"] == {"status": "open", "priority": "normal", "tags": []}


async def test_failing_macro_changes_nothing(client, admin_headers):
    h = admin_headers
    await post(client, h, "/api/v1/statuses", {"name": "on hold", "category": "pending"})
    macro = await post(
        client,
        h,
        "/api/v1/macros",
        {"name": "Hold", "body": "We will wait.", "actions": {"status": "on hold"}},
    )
    tid = await _ticket(client, h)
    assert (await client.delete("/api/v1/statuses/on hold", headers=h)).status_code == 204
    r = await client.post(f"/api/v1/tickets/{tid}/macros/{macro['id']}", headers=h)
    assert r.status_code == 422 and "on hold" in r.json()["detail"]
    messages = (await client.get(f"/api/v1/tickets/{tid}/messages", headers=h)).json()
    assert [m["direction"] for m in messages] == ["in"]  # the reply was rolled back too
    events = (await client.get(f"/api/v1/tickets/{tid}/events", headers=h)).json()
    routed = ("ticket.queued", "ticket.assigned")  # the new ticket's routing, not the macro's
    assert [e["type"] for e in events if e["type"] not in routed] == ["ticket.created"]


async def test_macro_update_and_delete(client, admin_headers):
    h = admin_headers
    macro = await post(client, h, "/api/v1/macros", {"name": "A", "body": "x"})
    url = f"/api/v1/macros/{macro['id']}"
    r = await client.patch(url, json={"actions": {"priority": "high"}, "body": None}, headers=h)
    assert r.json()["actions"] == {"priority": "high"} and r.json()["body"] == "x"
    bad = await client.patch(url, json={"actions": {"priority": "mega"}}, headers=h)
    assert bad.status_code == 422
    assert (await client.delete(url, headers=h)).status_code == 204
    assert (await client.get("/api/v1/macros", headers=h)).json() == []


async def test_api_key_shown_once_listed_without_secret_and_revocable(client, admin_headers):
    h = admin_headers
    made = await post(client, h, "/api/v1/api-keys", {"name": "crm-sync", "scopes": ["kb:read"]})
    key = made["key"]
    assert key.startswith("acrm_") and key.startswith(made["prefix"])
    listed = await client.get("/api/v1/api-keys", headers=h)
    mine = [k for k in listed.json() if k["id"] == made["id"]]
    assert mine and "key" not in mine[0] and key not in listed.text
    bearer = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/v1/tickets", headers=bearer)).status_code == 403
    assert (await client.delete(f"/api/v1/api-keys/{made['id']}", headers=h)).status_code == 200
    assert (await client.get("/api/v1/tickets", headers=bearer)).status_code == 401
    unknown = await client.post(
        "/api/v1/api-keys", json={"name": "x", "scopes": ["root"]}, headers=h
    )
    assert unknown.status_code == 422 and "root" in unknown.json()["detail"]


async def test_channel_account_with_unknown_channel_is_422(client, admin_headers):
    r = await client.post(
        "/api/v1/channels",
        json={"channel": "pigeon", "name": "Coop", "config": {}},
        headers=admin_headers,
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "pigeon" in r.json()["detail"]
    assert (await client.get("/api/v1/channels", headers=admin_headers)).json() == []
