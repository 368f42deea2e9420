"""The customer portal on SQLite and PostgreSQL: sign-in links mailed through the real SMTP
server (single use, expiring, signed, rate limited), a customer's own tickets from every
address they proved, replies through the ingest path, close and rate; nothing of anyone
else's, and no staff note, ever."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from store.messages import Attachment, Identity, InboundMessage
from store.portal.models import TicketRating
from store.tickets.ingest_writer import write_one
from tests.integration.portal_helpers import (
    configure_mailbox,
    csrf_of,
    customer_writes,
    sign_in,
    sign_in_links,
)

ANN = "ann@customer.example"
ANN_WORK = "ann@work.example"
BOB = "bob@customer.example"


async def _tickets(app):
    ids = {}
    ids["ann_email"] = await customer_writes(
        app, channel="email", kind="email", value=ANN, text="Where is my parcel?", name="Ann"
    )
    ids["ann_work"] = await customer_writes(
        app, channel="email", kind="email", value=ANN_WORK, text="Invoice for ACME please"
    )
    ids["bob"] = await customer_writes(
        app, channel="email", kind="email", value=BOB, text="Bob's private matter"
    )
    return ids


async def test_a_customer_sees_only_their_tickets_from_every_address_they_proved(
    app, client, admin_headers, smtp_server
):
    await configure_mailbox(app, smtp_server)
    ids = await _tickets(app)
    # Ann's contact also has her phone: the SMS ticket is hers too.
    contact = await client.get(f"/api/v1/tickets/{ids['ann_email']}", headers=admin_headers)
    contact_id = contact.json()["contact_id"]
    added = await client.patch(
        f"/api/v1/contacts/{contact_id}",
        json={"identities": [{"kind": "phone", "value": "+15550001111"}]},
        headers=admin_headers,
    )
    assert added.status_code == 200, added.text
    sms = await customer_writes(
        app, channel="twilio_sms", kind="phone", value="+15550001111", text="Texting about it"
    )
    await client.post(
        f"/api/v1/tickets/{ids['ann_email']}/notes",
        json={"body": "STAFF ONLY: customer seems upset"},
        headers=admin_headers,
    )

    await sign_in(client, smtp_server[1], ANN)
    home = await client.get("/portal")
    assert "Where is my parcel?" in home.text and "Texting about it" in home.text
    assert "Invoice for ACME" not in home.text and "Bob" not in home.text
    assert f"/portal/tickets/{sms}" in home.text

    await sign_in(client, smtp_server[1], ANN_WORK)  # a second address, same session
    home = await client.get("/portal")
    assert "Invoice for ACME" in home.text and "Where is my parcel?" in home.text
    assert "Bob" not in home.text

    page = await client.get(f"/portal/tickets/{ids['ann_email']}")
    assert page.status_code == 200 and "Where is my parcel?" in page.text
    assert "STAFF ONLY" not in page.text
    guessed = await client.get(f"/portal/tickets/{ids['bob']}")
    assert guessed.status_code == 404 and "Bob" not in guessed.text
    assert (await client.get("/portal/tickets/999999")).status_code == 404


async def test_a_reply_lands_on_the_ticket_as_the_customers_message(
    app, client, admin_headers, smtp_server
):
    await configure_mailbox(app, smtp_server)
    ids = await _tickets(app)
    await sign_in(client, smtp_server[1], ANN)
    page = await client.get(f"/portal/tickets/{ids['ann_email']}")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)[1]
    form = {"body": "It arrived damaged, see photo", "csrf": csrf_of(page.text), "nonce": nonce}
    path = f"/portal/tickets/{ids['ann_email']}/reply"
    assert (await client.post(path, data=form)).status_code == 303
    assert (await client.post(path, data=form)).status_code == 303  # a double submit
    messages = await client.get(
        f"/api/v1/tickets/{ids['ann_email']}/messages", headers=admin_headers
    )
    mine = [m for m in messages.json() if m["text"] == "It arrived damaged, see photo"]
    assert len(mine) == 1
    assert mine[0]["direction"] == "in" and mine[0]["author_kind"] == "customer"
    assert mine[0]["channel"] == "email"
    events = await client.get(f"/api/v1/tickets/{ids['ann_email']}/events", headers=admin_headers)
    received = [e for e in events.json() if e["type"] == "message.received"]
    assert received[-1]["actor_kind"] == "customer"
    shown = await client.get(f"/portal/tickets/{ids['ann_email']}")
    assert "It arrived damaged, see photo" in shown.text

    refused = await client.post(path, data=form | {"csrf": "wrong"})
    assert refused.status_code == 422
    other = await client.post(f"/portal/tickets/{ids['bob']}/reply", data=form)
    assert other.status_code == 404


async def test_close_then_rate(app, client, admin_headers, smtp_server):
    await configure_mailbox(app, smtp_server)
    ids = await _tickets(app)
    await sign_in(client, smtp_server[1], ANN)
    page = await client.get(f"/portal/tickets/{ids['ann_email']}")
    csrf = csrf_of(page.text)
    base = f"/portal/tickets/{ids['ann_email']}"
    early = await client.post(f"{base}/rate", data={"score": "5", "csrf": csrf})
    assert early.status_code == 422  # an open ticket is not rated yet
    assert (await client.post(f"{base}/close", data={"csrf": csrf})).status_code == 303
    ticket = await client.get(f"/api/v1/tickets/{ids['ann_email']}", headers=admin_headers)
    assert ticket.json()["status"] == "closed"
    rated = await client.post(f"{base}/rate", data={"score": "4", "comment": "ok", "csrf": csrf})
    assert rated.status_code == 303
    assert (await client.post(f"{base}/rate", data={"score": "9", "csrf": csrf})).status_code == 422
    shown = await client.get(base)
    assert "This ticket is closed." in shown.text and "you rated this ticket 4 of 5" in shown.text
    assert 'name="body"' not in shown.text  # no reply box on a closed ticket
    async with app.state.db.read() as session:
        rows = (await session.execute(select(TicketRating.ticket_id, TicketRating.score))).all()
    assert [tuple(r) for r in rows] == [(ids["ann_email"], 4)]
    bob = await client.post(f"/portal/tickets/{ids['bob']}/close", data={"csrf": csrf})
    assert bob.status_code == 404


async def test_a_link_works_once(app, client, admin_headers, smtp_server):
    await configure_mailbox(app, smtp_server)
    await _tickets(app)
    await sign_in(client, smtp_server[1], ANN)
    path = sign_in_links(smtp_server[1], ANN)[-1]
    client.cookies.clear()
    again = await client.get(path)
    assert again.status_code == 410 and "already used" in again.text
    token = path.split("t=", 1)[1]
    posted = await client.post("/portal/auth", data={"t": token})
    assert posted.status_code == 410 and "autocrm_portal" not in posted.cookies
    assert "Sign in" in (await client.get("/portal")).text


async def test_an_expired_link_signs_nobody_in(app, client, admin_headers, smtp_server):
    await configure_mailbox(app, smtp_server)
    await _tickets(app)
    await client.post("/portal/sign-in", data={"email": ANN})
    path = sign_in_links(smtp_server[1], ANN)[-1]
    with time_machine.travel(timedelta(minutes=21)):
        late = await client.get(path)
        assert late.status_code == 410 and "expired" in late.text
        token = path.split("t=", 1)[1]
        posted = await client.post("/portal/auth", data={"t": token})
        assert posted.status_code == 410 and "autocrm_portal" not in posted.cookies


async def test_a_forged_link_is_refused(app, client, admin_headers, smtp_server):
    await configure_mailbox(app, smtp_server)
    await _tickets(app)
    for forged in ("/portal/auth?t=abc", "/portal/auth?t=" + "A" * 60, "/portal/auth"):
        page = await client.get(forged)
        assert page.status_code == 400 and "not one we sent" in page.text
    posted = await client.post("/portal/auth", data={"t": "abc.def.ghi"})
    assert posted.status_code == 400 and "autocrm_portal" not in posted.cookies


async def test_unknown_addresses_get_the_same_answer_and_no_mail(
    app, client, admin_headers, smtp_server
):
    await configure_mailbox(app, smtp_server)
    await _tickets(app)
    answer = await client.post("/portal/sign-in", data={"email": "nobody@else.example"})
    known = await client.post("/portal/sign-in", data={"email": ANN})
    assert answer.status_code == known.status_code == 200
    assert "sign-in link is on its way" in answer.text
    assert sign_in_links(smtp_server[1], "nobody@else.example") == []
    assert len(sign_in_links(smtp_server[1], ANN)) == 1


async def test_asking_for_links_is_rate_limited(app, client, admin_headers, smtp_server):
    await configure_mailbox(app, smtp_server)
    await _tickets(app)
    answers = [
        (await client.post("/portal/sign-in", data={"email": ANN})).status_code for _ in range(6)
    ]
    assert answers == [200] * 5 + [429]
    assert len(sign_in_links(smtp_server[1], ANN)) == 5
    limited = await client.post("/portal/sign-in", data={"email": ANN})
    assert "Too many sign-in links" in limited.text and int(limited.headers["retry-after"]) > 0


async def test_no_mailbox_says_so(app, client):
    await customer_writes(app, channel="email", kind="email", value=ANN, text="Hello")
    answer = await client.post("/portal/sign-in", data={"email": ANN})
    assert answer.status_code == 503 and "not available" in answer.text


async def test_files_on_own_tickets_download_inert(app, client, smtp_server):
    await configure_mailbox(app, smtp_server)
    inbound = InboundMessage(
        channel="email",
        external_id="with-file",
        thread_key=f"email:{ANN}",
        sender=Identity("email", ANN),
        text="Photo attached",
        attachments=[
            Attachment("<img src=x onerror=alert(1)>.html", "text/html", b"<script>1</script>")
        ],
    )
    done = await write_one(app.state.db, inbound)
    bob = await customer_writes(app, channel="email", kind="email", value=BOB, text="Bob's file")
    await sign_in(client, smtp_server[1], ANN)
    page = await client.get(f"/portal/tickets/{done.ticket_id}")
    link = re.search(r'href="(/portal/tickets/\d+/attachments/\d+)"', page.text)[1]
    got = await client.get(link)
    assert got.status_code == 200 and got.content == b"<script>1</script>"
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in got.headers["content-security-policy"]
    attachment_id = int(link.rsplit("/", 1)[1])
    elsewhere = await client.get(f"/portal/tickets/{bob}/attachments/{attachment_id}")
    assert elsewhere.status_code == 404
    client.cookies.clear()
    assert (await client.get(link)).status_code == 303  # signed out: to the sign-in page


async def test_forms_posted_from_another_site_are_refused(app, client, smtp_server):
    await configure_mailbox(app, smtp_server)
    await _tickets(app)
    await client.post("/portal/sign-in", data={"email": ANN})
    token = sign_in_links(smtp_server[1], ANN)[-1].split("t=", 1)[1]
    evil = {"origin": "https://evil.example"}
    planted = await client.post("/portal/auth", data={"t": token}, headers=evil)
    assert planted.status_code == 403 and "autocrm_portal" not in planted.cookies
    ours = await client.post(
        "/portal/auth", data={"t": token}, headers={"origin": "http://testserver"}
    )
    assert ours.status_code == 303  # the link was not spent by the refused post


async def test_a_reply_carries_a_file_and_one_over_the_limit_is_refused_clearly(
    app, client, admin_headers, smtp_server
):
    await configure_mailbox(app, smtp_server)
    ids = await _tickets(app)
    await sign_in(client, smtp_server[1], ANN)
    path = f"/portal/tickets/{ids['ann_email']}"
    page = await client.get(path)
    assert 'enctype="multipart/form-data"' in page.text and "up to 10 MB" in page.text
    form = {"body": "Photo of the box", "csrf": csrf_of(page.text)}
    photo = ("box.png", b"\x89PNG fake", "image/png")
    sent = await client.post(f"{path}/reply", data=form, files={"file": photo})
    assert sent.status_code == 303
    messages = await client.get(
        f"/api/v1/tickets/{ids['ann_email']}/messages", headers=admin_headers
    )
    [mine] = [m for m in messages.json() if m["text"] == "Photo of the box"]
    assert [(a["filename"], a["size"]) for a in mine["attachments"]] == [("box.png", 9)]

    limit = app.state.settings.max_attachment_bytes
    huge = ("big.bin", b"x" * (limit + 1), "application/octet-stream")
    refused = await client.post(
        f"{path}/reply", data=form | {"body": "too big"}, files={"file": huge}
    )
    assert refused.status_code == 413 and "the file is over 10 MB" in refused.text
    messages = await client.get(
        f"/api/v1/tickets/{ids['ann_email']}/messages", headers=admin_headers
    )
    assert "too big" not in [m["text"] for m in messages.json()]
