"""Console pages over HTTP: sign-in with CSRF, access control, queue views and saved views,
the ticket timeline (notes, audit, sanitised HTML, the bot's brief), personal stats."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from store.actor import BOT, Actor
from store.db import utcnow
from store.outbox.service import emit
from store.staff import service as staff
from store.tickets import service as tickets
from store.tickets.schemas import TicketCreate, TicketUpdate
from store.tickets.stats import agent_stats

PASSWORD = "correct horse battery"
ROW = re.compile(r'<tr data-ticket-id="(\d+)"')


async def add_user(app, name: str, role: str = "agent", team: str | None = None) -> int:
    async with app.state.db.uow() as session:
        user = await staff.create_user(
            session, email=f"{name}@example.com", password=PASSWORD, name=name.title(), role=role
        )
        if team:
            await staff.create_team(session, name=team, member_ids=[user.id])
        return user.id


def form_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def sign_in(client, name: str, next_url: str = "/console"):
    form = await client.get("/console/login")
    data = {"email": f"{name}@example.com", "password": PASSWORD, "next": next_url}
    return await client.post("/console/login", data=data | {"csrf_token": form_csrf(form.text)})


async def new_ticket(app, subject: str, email: str = "c@example.com", **changes) -> int:
    actor = Actor("system", None, "test")
    async with app.state.db.uow() as session:
        data = TicketCreate(subject=subject, body=f"about {subject}", customer={"email": email})
        ticket = await tickets.create(session, data=data, actor=actor)
        if changes:
            await tickets.update(
                session, ticket_id=ticket.id, changes=TicketUpdate(**changes), actor=actor
            )
        return ticket.id


def rows(html: str) -> set[int]:
    return {int(n) for n in ROW.findall(html)}


@pytest.mark.parametrize("path", ["/console", "/console/tickets/1", "/console/queue/rows"])
async def test_signed_out_is_sent_to_login(client, path):
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/login?next={path}"


async def test_login_needs_the_forms_csrf_token_and_the_right_password(app, client):
    await add_user(app, "ana")
    form = await client.get("/console/login")
    assert form.status_code == 200 and 'type="password"' in form.text
    data = {"email": "ana@example.com", "password": PASSWORD}
    forged = await client.post("/console/login", data=data | {"csrf_token": "guess"})
    assert forged.status_code == 403 and "expired" in forged.text
    wrong = await client.post(
        "/console/login", data=data | {"password": "nope", "csrf_token": form_csrf(form.text)}
    )
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    assert (await client.get("/console")).status_code == 303  # still signed out


async def test_login_then_logout(app, client):
    await add_user(app, "ana")
    signed = await sign_in(client, "ana", next_url="https://evil.example/steal")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/console"  # never off-site
    page = await client.get("/console")
    assert page.status_code == 200 and "Ana" in page.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    assert (await client.post("/console/logout", data={"csrf_token": "bad"})).status_code == 403
    out = await client.post("/console/logout", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    assert (await client.get("/console")).status_code == 303


async def test_agent_is_kept_out_of_admin_pages_and_apis(app, client):
    await add_user(app, "ana")
    await sign_in(client, "ana")
    page = await client.get("/console/admin")
    assert page.status_code == 403 and "Admins only" in page.text
    assert (await client.get("/api/v1/api-keys")).status_code == 403
    assert (await client.get("/api/v1/webhooks")).status_code == 403
    assert (await client.get("/api/v1/agent/escalation-rules")).status_code == 403
    csrf = {"X-CSRF-Token": re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]}
    body = {"email": "new@example.com", "password": "long enough pw"}
    assert (await client.post("/api/v1/users", json=body, headers=csrf)).status_code == 403


async def test_admin_opens_the_admin_landing(app, client):
    await add_user(app, "ada", role="admin")
    await sign_in(client, "ada")
    page = await client.get("/console/admin")
    assert page.status_code == 200 and "Administration" in page.text


async def test_queue_views_and_quick_filters(app, client):
    me = await add_user(app, "ana", team="Billing")
    other = await add_user(app, "bob")
    team_id = (await client.get("/api/v1/teams")).status_code  # signed out: 401
    assert team_id == 401
    await sign_in(client, "ana")
    team_id = (await client.get("/api/v1/teams")).json()[0]["id"]
    mine = await new_ticket(app, "Mine", assignee_id=me, priority="high")
    theirs = await new_ticket(app, "Theirs", assignee_id=other)
    loose = await new_ticket(app, "Loose", email="loose@example.com")
    handed = await new_ticket(app, "Handed over", owner="human", team_id=team_id)
    solved = await new_ticket(app, "Done", status="solved")

    async def view(query: str) -> set[int]:
        response = await client.get(f"/console?{query}")
        assert response.status_code == 200
        return rows(response.text)

    assert await view("view=all") == {mine, theirs, loose, handed}  # unsolved by default
    assert await view("view=all&status=any") == {mine, theirs, loose, handed, solved}
    assert await view("view=mine") == {mine}
    assert await view("view=unassigned") == {loose, handed}
    assert await view("view=team") == {handed}
    assert await view("view=escalated") == {handed}
    assert await view("priority=high") == {mine}
    assert await view(f"assignee={other}") == {theirs}
    assert await view("q=Loose") == {loose}
    assert await view("status=solved") == {solved}
    assert await view("channel=email") == set()
    assert await view("view=bogus&priority=nonsense&sort=evil") == {mine, theirs, loose, handed}
    fragment = await client.get("/console/queue/rows?view=mine")
    assert fragment.status_code == 200 and rows(fragment.text) == {mine}
    assert "<html" not in fragment.text


async def test_saved_views_are_personal(app, client):
    await add_user(app, "ana")
    await add_user(app, "bob")
    urgent = await new_ticket(app, "Urgent", priority="urgent")
    await new_ticket(app, "Calm")
    page = await sign_in(client, "ana")
    page = await client.get("/console")
    csrf = form_csrf(page.text)
    saved = await client.post(
        "/console/views",
        data={"name": "Fires", "filters": "priority=urgent&view=all", "csrf_token": csrf},
    )
    assert saved.status_code == 303
    location = saved.headers["location"]
    assert re.fullmatch(r"/console\?saved=\d+", location)
    listing = await client.get(location)
    assert rows(listing.text) == {urgent} and "Fires" in listing.text
    again = await client.post(
        "/console/views", data={"name": "Fires", "filters": "", "csrf_token": csrf}
    )
    assert "notice=" in again.headers["location"]  # a taken name is said, not a 409 page

    await client.post("/console/logout", data={"csrf_token": csrf})
    await sign_in(client, "bob")
    theirs = await client.get(location)  # someone else's view id: ignored, default queue
    assert len(rows(theirs.text)) == 2 and "Fires" not in theirs.text
    view_id = location.rsplit("=", 1)[1]
    bob_csrf = form_csrf(theirs.text)
    gone = await client.post(f"/console/views/{view_id}/delete", data={"csrf_token": bob_csrf})
    assert gone.status_code == 404  # cannot delete Ana's view


async def test_ticket_page_timeline_across_tickets_with_notes_audit_and_clean_html(app, client):
    me = await add_user(app, "ana")
    await sign_in(client, "ana")
    page = await client.get("/console")
    csrf = {"X-CSRF-Token": re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]}
    earlier = await new_ticket(app, "Earlier question", email="pat@example.com")
    current = await new_ticket(app, "Current question", email="pat@example.com")
    reply = await client.post(
        f"/api/v1/tickets/{current}/messages",
        json={"body": "Hello", "html": "<p>Hello <b>Pat</b></p><script>alert(1)</script>"},
        headers=csrf,
    )
    assert reply.status_code == 201 and "<script>" not in (reply.json()["html"] or "")
    await client.post(f"/api/v1/tickets/{current}/notes", json={"body": "Staff only"}, headers=csrf)
    await client.patch(f"/api/v1/tickets/{current}", json={"assignee_id": me}, headers=csrf)

    html = (await client.get(f"/console/tickets/{current}")).text
    assert "about Earlier question" in html and "about Current question" in html
    assert f'href="/console/tickets/{earlier}">#{earlier}</a>' in html  # the other ticket's mark
    assert re.search(r'<li class="item note"[^>]*>.*?Staff only', html, re.S)
    assert "Hello <b>Pat</b>" in html and "alert(1)" not in html
    assert "Ana changed assignee none → Ana" in html
    live = await client.get(f"/console/tickets/{current}/live")
    assert set(live.json()) == {"timeline", "properties", "brief"}
    assert "Staff only" in live.json()["timeline"]
    missing = await client.get("/console/tickets/999999")
    assert missing.status_code == 404 and "does not exist" in missing.text


async def test_bot_brief_shows_summary_suggestion_and_pending_draft(app, client):
    await add_user(app, "ana")
    await sign_in(client, "ana")
    ticket_id = await new_ticket(app, "Broken login")
    async with app.state.db.uow() as session:
        emit(
            session,
            "agent.decision",
            actor=BOT,
            ticket_id=ticket_id,
            payload={
                "action": "escalate",
                "reason": "low confidence",
                "confidence": 0.31,
                "summary": "Customer cannot log in after a password reset.",
                "suggested_reply": "Please try the reset link again.",
            },
        )
    html = (await client.get(f"/console/tickets/{ticket_id}")).text
    assert "Customer cannot log in after a password reset." in html
    assert "Please try the reset link again." in html and "confidence 31%" in html
    assert "Draft held for your review" not in html

    async with app.state.db.uow() as session:
        draft = {"draft": "Reset it here: https://x.test/reset", "status": "awaiting review"}
        emit(session, "agent.review_requested", actor=BOT, ticket_id=ticket_id, payload=draft)
    html = (await client.get(f"/console/tickets/{ticket_id}")).text
    assert "Draft held for your review" in html and "https://x.test/reset" in html

    async with app.state.db.uow() as session:
        verdict = {"approve": False, "text": None, "by": "Ana"}
        emit(session, "agent.review_requested", actor=BOT, ticket_id=ticket_id, payload=verdict)
    html = (await client.get(f"/console/tickets/{ticket_id}")).text
    assert "Draft held for your review" not in html


async def test_personal_stats(app, client):
    me = await add_user(app, "ana")
    now = utcnow()
    spans = [(timedelta(minutes=10), timedelta(hours=2)), (timedelta(minutes=30), None)]
    spans.append((timedelta(minutes=20), timedelta(hours=4)))
    async with app.state.db.uow() as session:
        for first, solved in spans:
            ticket = await tickets.get(session, ticket_id=await new_ticket(app, "T"))
            ticket.assignee_id = me
            ticket.created_at = now - timedelta(days=1)
            ticket.first_response_at = ticket.created_at + first
            if solved:
                ticket.solved_at = ticket.created_at + solved
                ticket.status, ticket.status_category = "solved", "solved"
        stats = await agent_stats(session, user_id=me, days=30)
    assert stats.solved == 2 and stats.open_assigned == 1
    assert stats.median_first_response == timedelta(minutes=20)
    assert stats.median_resolution == timedelta(hours=3)

    await sign_in(client, "ana")
    html = (await client.get("/console/stats?days=7")).text
    assert '<span class="tile-value" data-stat="solved">2</span>' in html
    assert "20 min" in html and "3 h 00 min" in html
