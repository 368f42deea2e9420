"""Contacts on SQLite and PostgreSQL: names from what channels give, suggested duplicates,
and the data rights: export (JSON, ZIP with the files) and erasure (anonymised, redacted,
skeleton kept, audited, idempotent), admin only."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

import pytest
from sqlalchemy import select

from channels.twilio.parse import parse_call
from store import files
from store.contacts import service as contacts
from store.contacts.names import caller_name
from store.messages import Attachment, Identity, InboundMessage
from store.outbox.models import Event
from store.privacy import erase as erase_module
from store.tickets.ingest_writer import write_one
from tests.gateway_fixtures import make_key

ANN = "ann@customer.example"
PHOTO = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 8  # unique bytes: no other test holds them


async def _write(app, *, value=ANN, kind="email", name=None, text="Where is my parcel?", **extra):
    inbound = InboundMessage(
        channel="email" if kind == "email" else "twilio_sms",
        external_id=uuid.uuid4().hex,
        thread_key=f"{kind}:{value}",
        sender=Identity(kind, value, name),
        text=text,
        **extra,
    )
    return await write_one(app.state.db, inbound)


async def _contact(client, headers, ticket_id: int) -> dict:
    ticket = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)).json()
    return (await client.get(f"/api/v1/contacts/{ticket['contact_id']}", headers=headers)).json()


async def test_names_come_from_the_channel_when_the_contact_has_none(app, client, admin_headers):
    first = await _write(app, name=None)
    assert (await _contact(client, admin_headers, first.ticket_id))["name"] == ""
    again = await _write(app, name="Ann Customer")
    contact = await _contact(client, admin_headers, again.ticket_id)
    assert contact["name"] == "Ann Customer"
    renamed = await client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"name": "Ann C."}, headers=admin_headers
    )
    assert renamed.json()["name"] == "Ann C."
    await _write(app, name="Someone Else")  # a channel's name never overwrites a set one
    assert (await _contact(client, admin_headers, again.ticket_id))["name"] == "Ann C."


async def test_a_callers_name_comes_from_caller_id(app, client, admin_headers):
    params = {"CallSid": "CA" + "1" * 32, "From": "+15550001234", "To": "+15559990000",
              "CallerName": "DOE JANE", "SpeechResult": "my router is down"}  # fmt: skip
    done = await write_one(app.state.db, parse_call(params, turn=1))
    assert (await _contact(client, admin_headers, done.ticket_id))["name"] == "Doe Jane"
    assert caller_name("WIRELESS CALLER") is None and caller_name("+15550001234") is None
    assert caller_name("Jane Doe") == "Jane Doe"


async def test_duplicates_share_an_email_or_a_phone(app, client, admin_headers):
    ann = (await _contact(client, admin_headers, (await _write(app)).ticket_id))["id"]
    sms = await _write(app, kind="phone", value="+15550001111", text="hi by text")
    texter = (await _contact(client, admin_headers, sms.ticket_id))["id"]
    async with app.state.db.uow() as session:
        # Known by Slack, whose profile gave the same address as a field, and the number.
        slack = await contacts.create(session, name="Ann (Slack)", identities=[("slack", "U1")])
        slack.email, slack.phone = ANN.upper(), "+1 (555) 000-1111"
        other = await contacts.create(session, identities=[("email", "bob@else.example")])
        slack_id, other_id = slack.id, other.id
    found = await client.get(f"/api/v1/contacts/{slack_id}/duplicates", headers=admin_headers)
    assert found.status_code == 200, found.text
    got = {d["contact"]["id"]: d["reasons"] for d in found.json()}
    assert set(got) == {ann, texter}
    assert got[ann] == [{"kind": "email", "value": ANN}]
    assert got[texter] == [{"kind": "phone", "value": "+15550001111"}]
    back = await client.get(f"/api/v1/contacts/{ann}/duplicates", headers=admin_headers)
    assert [d["contact"]["id"] for d in back.json()] == [slack_id]
    none = await client.get(f"/api/v1/contacts/{other_id}/duplicates", headers=admin_headers)
    assert none.json() == []
    assert (
        await client.get("/api/v1/contacts/999999/duplicates", headers=admin_headers)
    ).status_code == 404


async def _ann_with_history(app, client, admin_headers) -> tuple[int, int]:
    photo = Attachment("../../etc/passwd.png", "image/png", PHOTO)
    first = await _write(
        app, name="Ann", text="My card 4111 was charged twice", attachments=[photo]
    )
    await client.post(
        f"/api/v1/tickets/{first.ticket_id}/messages",
        json={"body": "Hi Ann, refunded."},
        headers=admin_headers,
    )
    await client.post(
        f"/api/v1/tickets/{first.ticket_id}/notes",
        json={"body": "Ann is a VIP"},
        headers=admin_headers,
    )
    await app.state.dispatcher.drain()
    contact = await _contact(client, admin_headers, first.ticket_id)
    return contact["id"], first.ticket_id


async def test_export_as_json_and_as_a_zip_with_the_files(app, client, admin_headers):
    contact_id, ticket_id = await _ann_with_history(app, client, admin_headers)
    answer = await client.get(f"/api/v1/contacts/{contact_id}/export", headers=admin_headers)
    assert answer.status_code == 200
    data = answer.json()
    assert data["contact"]["identities"] == [{"kind": "email", "value": ANN}]
    [ticket] = data["tickets"]
    assert ticket["id"] == ticket_id
    texts = [m["text"] for m in ticket["messages"]]
    assert texts[0] == "My card 4111 was charged twice" and "Hi Ann, refunded." in texts
    assert ticket["notes"][0]["body"] == "Ann is a VIP"
    [attachment] = ticket["messages"][0]["attachments"]
    assert attachment["file"].startswith("attachments/") and ".." not in attachment["file"]

    packed = await client.get(
        f"/api/v1/contacts/{contact_id}/export", params={"format": "zip"}, headers=admin_headers
    )
    assert packed.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(packed.content))
    assert sorted(archive.namelist()) == sorted(["data.json", attachment["file"]])
    assert archive.read(attachment["file"]) == PHOTO
    assert json.loads(archive.read("data.json"))["missing_files"] == []


async def test_data_rights_need_the_admin_scope(app, client, admin_headers):
    contact_id, _ = await _ann_with_history(app, client, admin_headers)
    key = await make_key(app, ["contacts:read", "contacts:write", "tickets:read"])
    headers = {"Authorization": f"Bearer {key}"}
    assert (
        await client.get(f"/api/v1/contacts/{contact_id}/export", headers=headers)
    ).status_code == 403
    refused = await client.post(
        f"/api/v1/contacts/{contact_id}/erase", json={"confirm": True}, headers=headers
    )
    assert refused.status_code == 403
    unconfirmed = await client.post(
        f"/api/v1/contacts/{contact_id}/erase", json={}, headers=admin_headers
    )
    assert unconfirmed.status_code == 422


async def test_erasure_keeps_the_skeleton_and_is_idempotent(app, client, admin_headers):
    contact_id, ticket_id = await _ann_with_history(app, client, admin_headers)
    path = files.path_for(hashlib.sha256(PHOTO).hexdigest())
    assert path.exists()
    url = f"/api/v1/contacts/{contact_id}/erase"
    first = await client.post(url, json={"confirm": True}, headers=admin_headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["tickets"], body["messages"], body["attachments"]) == (1, 2, 1)
    assert body["already_erased"] is False
    assert not path.exists()

    contact = (await client.get(f"/api/v1/contacts/{contact_id}", headers=admin_headers)).json()
    assert (contact["name"], contact["email"], contact["identities"]) == ("", None, [])
    ticket = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=admin_headers)).json()
    assert ticket["contact_id"] == contact_id and ticket["channel"] == "email"
    assert ticket["subject"] == "[erased]"
    messages = (
        await client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=admin_headers)
    ).json()
    assert [m["text"] for m in messages] == ["[erased]", "[erased]"]
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert all(m["attachments"] == [] for m in messages)
    notes = (await client.get(f"/api/v1/tickets/{ticket_id}/notes", headers=admin_headers)).json()
    assert [n["body"] for n in notes] == ["[erased]"]
    async with app.state.db.read() as session:
        events = list(await session.scalars(select(Event).order_by(Event.id)))
        dumped = json.dumps([[e.payload, e.before, e.after, e.actor_name] for e in events])
        audits = [e.payload for e in events if e.type == "contact.erased"]
    assert "4111" not in dumped and "Ann" not in dumped and ANN not in dumped
    assert audits == [{"contact_id": contact_id, "tickets": 1, "messages": 2, "attachments": 1}]

    again = await client.post(url, json={"confirm": True}, headers=admin_headers)
    assert again.status_code == 200
    assert again.json() | {"erased_at": None} == {
        "contact_id": contact_id, "erased_at": None, "tickets": 1, "messages": 0,
        "attachments": 0, "already_erased": True,
    }  # fmt: skip
    assert again.json()["erased_at"] == body["erased_at"]
    async with app.state.db.read() as session:
        count = len(
            list(await session.scalars(select(Event).where(Event.type == "contact.erased")))
        )
    assert count == 1

    # The person writes again: a new contact, nothing joins the erased one.
    back = await _write(app, name="Ann")
    assert (await _contact(client, admin_headers, back.ticket_id))["id"] != contact_id


async def test_an_erasure_that_dies_half_way_is_finished_by_running_it_again(
    app, client, admin_headers, monkeypatch
):
    contact_id, ticket_id = await _ann_with_history(app, client, admin_headers)
    path = files.path_for(hashlib.sha256(PHOTO).hexdigest())

    async def crash(*args, **kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(erase_module, "_history", crash)
    url = f"/api/v1/contacts/{contact_id}/erase"
    with pytest.raises(RuntimeError):
        await client.post(url, json={"confirm": True}, headers=admin_headers)
    assert not path.exists()  # the files went first; the rows' transaction rolled back
    contact = (await client.get(f"/api/v1/contacts/{contact_id}", headers=admin_headers)).json()
    assert contact["identities"] != []

    monkeypatch.undo()
    finished = await client.post(url, json={"confirm": True}, headers=admin_headers)
    assert finished.status_code == 200, finished.text
    assert (finished.json()["messages"], finished.json()["attachments"]) == (2, 1)
    messages = (
        await client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=admin_headers)
    ).json()
    assert [m["text"] for m in messages] == ["[erased]", "[erased]"]
