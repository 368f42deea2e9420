"""Merging two contacts through the API: identities and tickets move, one audit event."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from store.actor import SYSTEM
from store.contacts import service as contacts
from store.outbox.models import Event
from store.tickets import contact_merge
from tests.gateway_fixtures import make_key

CONTACTS = "/api/v1/contacts"


async def new_contact(client, headers, name: str, *identities: tuple[str, str]) -> dict:
    body = {"name": name, "identities": [{"kind": k, "value": v} for k, v in identities]}
    response = await client.post(CONTACTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def new_ticket(client, headers, subject: str, **customer) -> dict:
    body = {"subject": subject, "body": "Hello", "customer": customer}
    response = await client.post("/api/v1/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_merge_moves_identities_and_tickets_and_is_audited(app, client, admin_headers):
    headers = {"Authorization": f"Bearer {await make_key(app, ['contacts:write'], 'crm-sync')}"}
    jane = await new_contact(client, admin_headers, "Jane", ("email", "jane@example.com"))
    twin = await new_contact(client, admin_headers, "", ("phone", "+15550100"), ("slack", "U0JANE"))
    first = await new_ticket(client, admin_headers, "Invoice", phone="+15550100")
    second = await new_ticket(client, admin_headers, "Refund", phone="+15550100")
    own = await new_ticket(client, admin_headers, "Login", email="jane@example.com")
    assert first["contact_id"] == second["contact_id"] == twin["id"]

    response = await client.post(
        f"{CONTACTS}/{jane['id']}/merge", json={"other_id": twin["id"]}, headers=headers
    )
    assert response.status_code == 200, response.text
    merged = response.json()
    assert (merged["id"], merged["name"], merged["email"]) == (jane["id"], "Jane", jane["email"])
    assert merged["phone"] == "+15550100"
    assert {(i["kind"], i["value"]) for i in merged["identities"]} == {
        ("email", "jane@example.com"),
        ("phone", "+15550100"),
        ("slack", "U0JANE"),
    }
    gone = await client.get(f"{CONTACTS}/{twin['id']}", headers=admin_headers)
    assert gone.status_code == 404
    listed = await client.get(f"/api/v1/tickets?contact_id={jane['id']}", headers=admin_headers)
    ids = {t["id"] for t in listed.json()["items"]}
    assert ids == {first["id"], second["id"], own["id"]}

    async with app.state.db.sessions() as session:
        [event] = await session.scalars(select(Event).where(Event.type == "contact.merged"))
    assert (event.actor_kind, event.actor_name) == ("apikey", "crm-sync")
    assert event.payload["contact_id"] == jane["id"]
    assert event.payload["merged_contact_id"] == twin["id"]
    assert sorted(event.payload["ticket_ids"]) == sorted([first["id"], second["id"]])
    assert event.before["contact"]["identities"] == [["phone", "+15550100"], ["slack", "U0JANE"]]


async def test_the_merged_identity_now_finds_the_kept_contact(app, client, admin_headers):
    jane = await new_contact(client, admin_headers, "Jane", ("email", "jane@example.com"))
    twin = await new_contact(client, admin_headers, "J.", ("phone", "+15550100"))
    url = f"{CONTACTS}/{jane['id']}/merge"
    await client.post(url, json={"other_id": twin["id"]}, headers=admin_headers)

    later = await new_ticket(client, admin_headers, "Again", phone="+15550100")
    assert later["contact_id"] == jane["id"]
    everyone = (await client.get(CONTACTS, headers=admin_headers)).json()
    assert [c["id"] for c in everyone] == [jane["id"]]


async def test_a_contact_cannot_merge_into_itself_or_a_missing_one(app, client, admin_headers):
    jane = await new_contact(client, admin_headers, "Jane", ("email", "jane@example.com"))
    url = f"{CONTACTS}/{jane['id']}/merge"
    itself = await client.post(url, json={"other_id": jane["id"]}, headers=admin_headers)
    missing = await client.post(url, json={"other_id": jane["id"] + 99}, headers=admin_headers)

    assert itself.status_code == 422 and "itself" in itself.json()["detail"]
    assert missing.status_code == 404
    assert itself.headers["content-type"] == "application/problem+json"
    still = await client.get(f"{CONTACTS}/{jane['id']}", headers=admin_headers)
    assert len(still.json()["identities"]) == 1


async def test_merge_needs_contacts_write(app, client):
    headers = {"Authorization": f"Bearer {await make_key(app, ['contacts:read'])}"}
    response = await client.post(f"{CONTACTS}/1/merge", json={"other_id": 2}, headers=headers)
    assert response.status_code == 403


async def test_two_merges_of_one_contact_at_once_merge_it_once(app, client, admin_headers):
    jane = await new_contact(client, admin_headers, "Jane", ("email", "jane@example.com"))
    twin = await new_contact(client, admin_headers, "", ("slack", "U0JANE"))

    async def merge_twin() -> None:
        async with app.state.db.uow() as session:
            keep = await contacts.get(session, contact_id=jane["id"])
            other = await contacts.get(session, contact_id=twin["id"])
            await contact_merge.merge(session, keep=keep, other=other, actor=SYSTEM)

    outcomes = await asyncio.gather(merge_twin(), merge_twin(), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes if o is not None) in (
        ["Conflict"],  # PostgreSQL: the second waited on the row lock, then found it gone
        ["NotFound"],  # it started after the first had committed (SQLite writers are serial)
    )
    async with app.state.db.sessions() as session:
        merged = list(await session.scalars(select(Event).where(Event.type == "contact.merged")))
    assert len(merged) == 1
    kept = (await client.get(f"{CONTACTS}/{jane['id']}", headers=admin_headers)).json()
    assert len(kept["identities"]) == 2
