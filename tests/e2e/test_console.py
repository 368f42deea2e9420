"""The agent console in Chromium against a real gateway: sign in, live queue, reply to the
customer's widget, notes that stay internal, typing both ways, presence, bulk assign, access."""

from __future__ import annotations

import re
import shutil
import subprocess
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from store.actor import BOT
from store.outbox.service import emit
from store.staff import service as staff
from tests.e2e.browser import ARTIFACTS
from tests.e2e.test_widget_static import open_panel, send
from tests.integration.webchat_client import gateway

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
CONSOLE_DIR = Path(__file__).resolve().parents[2] / "console"
CONSOLE_JS = CONSOLE_DIR.parent / "gateway" / "console" / "static" / "build" / "console.js"


@pytest.fixture(scope="module", autouse=True)
def console_js(widget_js) -> Path:
    """The console bundle, rebuilt with `npm run build` when a source is newer (as widget.js)."""
    sources = [*(CONSOLE_DIR / "src").rglob("*.js"), CONSOLE_DIR / "package-lock.json"]
    if CONSOLE_JS.exists() and CONSOLE_JS.stat().st_mtime >= max(
        p.stat().st_mtime for p in sources
    ):
        return CONSOLE_JS
    npm = shutil.which("npm")
    if npm is None or not (CONSOLE_DIR / "node_modules").is_dir():
        pytest.skip("the console bundle is missing or stale: run `make widget`")
    subprocess.run([npm, "run", "build"], cwd=CONSOLE_DIR, check=True, capture_output=True)
    return CONSOLE_JS


@asynccontextmanager
async def console_gateway(tmp_path):
    """(app, url, admin key, {name: user id}) with agents Ana and Bob and admin Ada."""
    async with gateway(tmp_path) as (app, url, admin):
        people = {}
        async with app.state.db.uow() as session:
            for name, role in (("Ana", "agent"), ("Bob", "agent"), ("Ada", "admin")):
                user = await staff.create_user(
                    session,
                    email=f"{name.lower()}@example.com",
                    password=PASSWORD,
                    name=name,
                    role=role,
                )
                people[name] = user.id
        yield app, url, admin, people


async def sign_in(page, url: str, name: str, path: str = "/console") -> None:
    await page.goto(f"{url}{path}")
    await expect(page).to_have_url(re.compile(r"/console/login\?next="))
    await page.get_by_label("Email").fill(f"{name.lower()}@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/console/login"))


async def live(page) -> None:
    """The page's /console socket is connected (so no event can slip by before it)."""
    await expect(page.locator("[data-live].on")).to_be_attached()


async def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def api(url: str, admin: str, method: str, path: str, **kwargs):
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        response = await http.request(method, path, **kwargs)
    response.raise_for_status()
    return response.json()


async def test_widget_message_to_reply_and_note_round_trip(tmp_path, browser, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        await sign_in(page, url, "Ana")
        await expect(page.get_by_role("heading", name="All")).to_be_visible()
        await live(page)

        customer_context = await browser.new_context(viewport={"width": 390, "height": 760})
        customer = await customer_context.new_page()
        try:
            await customer.goto(f"{url}/demo")
            await open_panel(customer)
            await send(customer, "My parcel has not arrived")

            # The new ticket appears in the open queue without a reload.
            rows = page.locator("tbody[data-rows]")
            await expect(rows).to_contain_text("My parcel has not arrived")
            await shot(page, "console-queue-live-arrival")

            await rows.get_by_role("link", name=re.compile("My parcel has not arrived")).click()
            await expect(page).to_have_url(re.compile(r"/console/tickets/\d+$"))
            timeline = page.get_by_role("list", name="Conversation")
            await expect(timeline).to_contain_text("My parcel has not arrived")
            await live(page)

            # Typing both ways.
            await customer.get_by_role("textbox", name="Message").fill("Still wait")
            await expect(page.get_by_text("Customer is typing…")).to_be_visible()
            editor = page.get_by_role("textbox", name="Reply")
            await editor.fill("Checking that for you")
            panel = customer.get_by_role("dialog", name="Chat with us")
            await expect(panel.get_by_text("Agent is typing…")).to_be_visible()

            # The reply goes out on the widget, in the customer's conversation.
            await editor.fill("Sorry! It ships today.")
            await page.get_by_role("button", name="Send reply").click()
            await expect(panel).to_contain_text("Sorry! It ships today.")
            await expect(timeline).to_contain_text("Sorry! It ships today.")

            # A note is shown to staff, marked internal, and never reaches the customer.
            await page.get_by_role("tab", name="Internal note").click()
            await page.get_by_role("textbox", name="Internal note").fill("Customer is upset, VIP?")
            await page.get_by_role("button", name="Add note").click()
            note = timeline.locator("li.note")
            await expect(note).to_contain_text("Customer is upset, VIP?")
            await expect(note).to_contain_text("Internal note")
            await page.get_by_role("tab", name=re.compile("Reply")).click()
            await page.get_by_role("textbox", name="Reply").fill("Anything else?")
            await page.get_by_role("button", name="Send reply").click()
            await expect(panel).to_contain_text("Anything else?")  # sent after the note
            await expect(panel).not_to_contain_text("Customer is upset")
            await shot(page, "console-ticket-reply-and-note")
            await shot(customer, "console-customer-widget")

            # The customer's reply arrives in the open ticket live.
            await send(customer, "Thanks, that is all")
            await expect(timeline).to_contain_text("Thanks, that is all")
        finally:
            await customer_context.close()


async def test_presence_shows_a_colleague_viewing_and_replying(tmp_path, browser, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        body = {"subject": "Refund", "body": "I want a refund", "customer": {"email": "c@x.org"}}
        ticket = await api(url, admin, "POST", "/api/v1/tickets", json=body)
        await sign_in(page, url, "Ana", f"/console/tickets/{ticket['id']}")
        await live(page)

        bob_context = await browser.new_context()
        bob = await bob_context.new_page()
        try:
            await sign_in(bob, url, "Bob", f"/console/tickets/{ticket['id']}")
            await live(bob)
            # Each learns of the other: Ana from Bob's hello, Bob from Ana's answer.
            await expect(page.get_by_text("Bob is viewing this ticket")).to_be_visible()
            await expect(bob.get_by_text("Ana is viewing this ticket")).to_be_visible()
            await bob.get_by_role("textbox", name="Reply").press_sequentially("On it")
            await expect(page.get_by_text("Bob is replying…")).to_be_visible()
            await shot(page, "console-presence")
            await bob.goto(f"{url}/console")
            await expect(page.locator("[data-presence]")).to_be_hidden()
        finally:
            await bob_context.close()


async def test_bulk_assign_from_the_queue(tmp_path, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        ids = []
        for n in range(3):
            body = {"subject": f"Order {n}", "body": "Where?", "customer": {"email": f"{n}@x.org"}}
            ids.append((await api(url, admin, "POST", "/api/v1/tickets", json=body))["id"])
        # Opening the console would hand Ana the waiting tickets; here she assigns them herself.
        no_email = {"capacities": {"email": 0}}
        await api(url, admin, "PATCH", f"/api/v1/users/{people['Ana']}", json=no_email)
        await sign_in(page, url, "Ana", "/console?view=unassigned")
        await page.get_by_role("checkbox", name=f"Select ticket {ids[0]}").check()
        await page.get_by_role("checkbox", name=f"Select ticket {ids[2]}").check()
        await expect(page.get_by_text("2 selected")).to_be_visible()
        await page.get_by_role("combobox", name="Assign selected to").select_option(label="Bob")
        await expect(page.get_by_role("status")).to_contain_text("on 2 tickets")
        # Assigned tickets leave the unassigned view; the third stays.
        rows = page.locator("tbody[data-rows] tr[data-ticket-id]")
        await expect(rows).to_have_count(1)
        await shot(page, "console-bulk-assign")
        for ticket_id, owner in ((ids[0], people["Bob"]), (ids[1], None), (ids[2], people["Bob"])):
            ticket = await api(url, admin, "GET", f"/api/v1/tickets/{ticket_id}")
            assert ticket["assignee_id"] == owner


async def test_signed_out_goes_to_login_and_comes_back(tmp_path, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        await page.goto(f"{url}/console/stats")
        await expect(page).to_have_url(re.compile(r"/console/login\?next=/console/stats$"))
        await page.get_by_label("Email").fill("ana@example.com")
        await page.get_by_label("Password").fill("wrong password")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(f"{url}/console/stats")
        await expect(page.get_by_role("heading", name="My stats")).to_be_visible()
        await page.get_by_role("button", name="Sign out").click()
        await expect(page).to_have_url(re.compile(r"/console/login$"))
        await page.goto(f"{url}/console")
        await expect(page).to_have_url(re.compile(r"/console/login\?next="))


async def test_agent_cannot_open_admin_pages_or_apis(tmp_path, browser, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        await sign_in(page, url, "Ana")
        await expect(page.get_by_role("link", name="Admin")).to_have_count(0)
        response = await page.goto(f"{url}/console/admin")
        assert response.status == 403
        await expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
        await shot(page, "console-agent-admin-forbidden")
        status = await page.evaluate("fetch('/api/v1/api-keys').then(r => r.status)")
        assert status == 403

        admin_context = await browser.new_context()
        boss = await admin_context.new_page()
        try:
            await sign_in(boss, url, "Ada")
            await boss.get_by_role("link", name="Admin").click()
            await expect(boss.get_by_role("heading", name="Administration")).to_be_visible()
        finally:
            await admin_context.close()


async def test_bot_brief_suggestion_is_edited_and_sent(tmp_path, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        body = {"subject": "Login", "body": "I cannot log in", "customer": {"email": "c@x.org"}}
        ticket = await api(url, admin, "POST", "/api/v1/tickets", json=body)
        await sign_in(page, url, "Ana", f"/console/tickets/{ticket['id']}")
        await live(page)
        async with app.state.db.uow() as session:  # what the agent graph leaves on escalation
            payload = {
                "action": "escalate",
                "reason": "no confident answer",
                "summary": "Customer cannot log in since the password reset.",
                "suggested_reply": "Please use the new reset link.",
            }
            emit(session, "agent.decision", actor=BOT, ticket_id=ticket["id"], payload=payload)
        brief = page.get_by_role("region", name="Bot's brief")
        await expect(brief).to_contain_text("Customer cannot log in since the password reset.")
        await brief.get_by_role("button", name="Edit in composer").click()
        editor = page.get_by_role("textbox", name="Reply")
        await expect(editor).to_have_text("Please use the new reset link.")
        await editor.press("End")
        await editor.press_sequentially(" It expires in 1 hour.")
        await page.get_by_role("button", name="Send reply").click()
        timeline = page.get_by_role("list", name="Conversation")
        await expect(timeline).to_contain_text(
            "Please use the new reset link. It expires in 1 hour."
        )
        await shot(page, "console-bot-brief")


async def test_console_on_a_phone(tmp_path, browser):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        body = {
            "subject": "Damaged box",
            "body": "Arrived broken",
            "customer": {"email": "c@x.org"},
        }
        ticket = await api(url, admin, "POST", "/api/v1/tickets", json=body)
        context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone = await context.new_page()
        try:
            await sign_in(phone, url, "Ana")
            link = phone.get_by_role("link", name=re.compile("Damaged box"))
            await expect(link).to_be_visible()
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the queue scrolls sideways on a phone ({width}px)"
            await shot(phone, "console-phone-queue")
            await link.click()
            await expect(phone).to_have_url(f"{url}/console/tickets/{ticket['id']}")
            await expect(phone.get_by_role("button", name="Send reply")).to_be_visible()
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the ticket scrolls sideways on a phone ({width}px)"
            await shot(phone, "console-phone-ticket")
        finally:
            await context.close()
