"""The review queue in Chromium: an admin sees a learned draft with the customer's specifics
replaced and highlighted, edits it (the highlight follows), approves it, and the stored
example is the placeholder-free answer."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from store.actor import SYSTEM
from store.knowledge import examples
from store.tickets import service as tickets
from tests.e2e.test_console import console_gateway, shot, sign_in

pytestmark = pytest.mark.browser
ANSWER = (
    "Hi Carol, your parcel 1Z999AA10123456784 ships today. "
    "Gift wrap is free on every order: choose Gift options at checkout."
)


async def _draft(app, url: str, admin: str) -> int:
    body = {"external_id": "e-1", "customer": {"email": "carol@example.com", "name": "Carol"}}
    body["body"] = "Can you gift wrap my order?"
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {admin}"}) as h:
        ticket_id = (await h.post("/api/v1/inbound", json=body)).json()["ticket_id"]
    async with app.state.db.uow() as session:
        ticket = await tickets.get(session, ticket_id=ticket_id)
        row = await examples.capture_example(session, ticket, ANSWER, actor=SYSTEM)
        return row.id


async def test_admin_edits_and_approves_a_learned_draft(tmp_path, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        example_id = await _draft(app, url, admin)
        await sign_in(page, url, "Ada", "/console/review")
        card = page.locator(f'[data-learned="{example_id}"]')
        marks = card.locator('[data-highlight-of="answer"] mark.redacted')
        await expect(marks).to_have_text(["{name}", "{tracking_number}"])
        await expect(card.locator(".originals")).to_contain_text("1Z999AA10123456784")
        await shot(page, "console-review-queue")

        answer = card.get_by_label("Answer")
        await answer.fill("Hi {name}, gift wrap is free on every order: choose Gift options.")
        await expect(marks).to_have_text(["{name}"])
        await card.get_by_role("button", name="Approve").click()
        await expect(card).to_have_count(0)
        await expect(page.locator('[data-count="learned"]')).to_have_text("0")
        async with app.state.db.read() as session:
            row = await examples.get(session, example_id=example_id)
            assert row.status == "approved"
            assert row.answer == "Hi, gift wrap is free on every order: choose Gift options."
