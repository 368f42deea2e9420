"""Admin pages in Chromium against a real gateway with the agent graph job running: an admin
switches the bot on, builds an escalation rule in the form, and the next matching widget
message is escalated by that rule; an API key is shown once; the team dashboard draws."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.test_console import api, console_gateway, live, shot, sign_in
from tests.e2e.test_widget_static import open_panel, send

pytestmark = pytest.mark.browser


async def wait_for(probe, timeout: float = 60.0):
    """probe() until it returns something truthy (the agent job runs after the message)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (found := await probe()) is None or found is False:
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)
    return found


async def test_admin_builds_a_rule_and_the_next_matching_message_is_escalated(
    tmp_path, browser, page
):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        await sign_in(page, url, "Ada", "/console/admin/bot")
        await page.get_by_label("The bot answers customers").check()
        await page.get_by_role("button", name="Save bot settings").click()
        await expect(page.locator("[data-bot-state]")).to_have_text("answering customers")

        await page.get_by_role("link", name="Escalation and routing rules").first.click()
        form = page.get_by_role("form", name="New escalation rule")
        await form.get_by_label("Name").fill("Refund requests")
        await form.get_by_label("Add a condition (escalation)").select_option(
            label="Message text contains"
        )
        await form.get_by_label("Message text contains (comma-separated)").fill("refund")
        await form.get_by_label("Add a condition (escalation)").select_option(label="Channel is")
        await form.get_by_label("Web chat").check()
        await shot(page, "console-admin-rule-builder")
        await form.get_by_role("button", name="Save escalation rule").click()
        rules = page.locator("[data-list=escalation-rules]")
        await expect(rules).to_contain_text("Refund requests")
        await expect(rules).to_contain_text('text contains "refund" and channel is Web chat')
        saved = await api(url, admin, "GET", "/api/v1/agent/escalation-rules")
        assert [(r["name"], r["conditions"], r["action"]) for r in saved] == [
            ("Refund requests", {"keywords": ["refund"], "channels": ["webchat"]}, "escalate")
        ]
        await shot(page, "console-admin-rules")

        await page.goto(f"{url}/console?view=escalated")
        await live(page)
        customer_context = await browser.new_context(viewport={"width": 390, "height": 760})
        customer = await customer_context.new_page()
        try:
            await customer.goto(f"{url}/demo")
            await open_panel(customer)
            await send(customer, "I want a REFUND for order 42")

            async def decided():
                found = await api(url, admin, "GET", "/api/v1/tickets")
                if not found["items"]:
                    return None
                ticket_id = found["items"][0]["id"]
                path = f"/api/v1/tickets/{ticket_id}/agent/traces"
                traces = await api(url, admin, "GET", path)
                return (ticket_id, traces[-1]) if traces else None

            ticket_id, trace = await wait_for(decided)
            assert trace["type"] == "agent.decision"
            assert trace["payload"]["action"] == "escalate"
            assert trace["payload"]["rule"] == "Refund requests"
            ticket = await api(url, admin, "GET", f"/api/v1/tickets/{ticket_id}")
            assert ticket["owner"] == "human"

            # The escalated view shows it without a reload; the ticket shows why.
            rows = page.locator("tbody[data-rows]")
            await expect(rows).to_contain_text("REFUND for order 42", timeout=15_000)
            await shot(page, "console-admin-escalated-queue")
            await page.goto(f"{url}/console/tickets/{ticket_id}")
            brief = page.get_by_role("region", name="Bot's brief")
            await expect(brief).to_contain_text("Refund requests")
            await shot(page, "console-admin-escalated-ticket")
        finally:
            await customer_context.close()


async def test_an_api_key_is_shown_once_and_works(tmp_path, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        await sign_in(page, url, "Ada", "/console/admin/keys")
        form = page.get_by_role("form", name="New API key")
        await form.get_by_label("Name").fill("CRM sync")
        await form.get_by_label("contacts:read").check()
        await form.get_by_role("button", name="Create key").click()
        shown = form.get_by_role("status", name="New API key")
        await expect(shown).to_have_text(re.compile(r"\S{20,}"))
        key = (await shown.text_content()).strip()
        await shot(page, "console-admin-api-key-shown-once")

        async with httpx.AsyncClient(base_url=url) as http:
            headers = {"Authorization": f"Bearer {key}"}
            assert (await http.get("/api/v1/tickets", headers=headers)).status_code == 200
            assert (await http.get("/api/v1/api-keys", headers=headers)).status_code == 403

        await page.get_by_role("link", name="Done").click()
        table = page.locator("[data-list=api-keys]")
        await expect(table).to_contain_text("CRM sync")
        await expect(table).to_contain_text("contacts:read")
        assert key not in await page.content()  # never again
        await expect(table).to_contain_text(key[:8])  # only its prefix

        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        row = table.get_by_role("row", name=re.compile("CRM sync"))
        await row.get_by_role("button", name="Revoke").click()
        await expect(row).to_contain_text("revoked")
        async with httpx.AsyncClient(base_url=url) as http:
            headers = {"Authorization": f"Bearer {key}"}
            assert (await http.get("/api/v1/tickets", headers=headers)).status_code == 401


async def test_team_dashboard_draws_its_charts(tmp_path, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        for n, subject in enumerate(("Broken lid", "Late parcel", "Wrong size")):
            body = {"subject": subject, "body": subject, "customer": {"email": f"{n}@x.org"}}
            await api(url, admin, "POST", "/api/v1/tickets", json=body)
        await sign_in(page, url, "Ana", "/console/stats/team")
        await expect(page.get_by_role("heading", name="Team dashboard")).to_be_visible()
        await expect(page.locator('[data-stat="created"]')).to_have_text("3")
        chart = page.get_by_role("img", name="Tickets created and solved per day")
        await expect(chart.locator("rect.bar")).to_have_count(1)
        box = await chart.bounding_box()
        assert box["width"] > 600 and box["height"] > 100
        await shot(page, "console-team-dashboard")
        await page.set_viewport_size({"width": 390, "height": 844})
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the dashboard scrolls sideways on a phone ({width}px)"
        await shot(page, "console-team-dashboard-phone")
