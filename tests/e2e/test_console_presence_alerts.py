"""An agent's day in Chromium against a real gateway: she signs in and is online, toggles
away and back, goes away by herself when idle and comes back by moving the mouse, gets an
alert (bell count, desktop notification while the tab is hidden) when a customer's ticket
needs a human and is assigned to her (the bot is off, so every one does; a bot escalation
takes the same road from the assignment on), and sees the SLA clock in the queue and on the
ticket, with the assignment's reason on the timeline. The presence clock is the test's (no
waiting on minutes of idleness)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.e2e.test_console import api, console_gateway, live, shot, sign_in
from tests.integration.staffing import customer_says, paused_clock, sweep

pytestmark = pytest.mark.browser

# The tab's visibility under the test's control, and every desktop notification recorded
# (Chromium shows none when headless; the page still goes through the real API's checks).
HOOKS = """
window.__hidden = false;
window.__notes = [];
Object.defineProperty(Document.prototype, 'hidden', {
  configurable: true, get() { return window.__hidden; } });
Object.defineProperty(Document.prototype, 'visibilityState', {
  configurable: true, get() { return window.__hidden ? 'hidden' : 'visible'; } });
const RealNotification = window.Notification;
class RecordedNotification {
  constructor(title, options) { window.__notes.push({ title, body: options && options.body }); }
  static get permission() { return RealNotification.permission; }
  static requestPermission() { return RealNotification.requestPermission(); }
}
window.Notification = RecordedNotification;
"""
POLICY = {
    "name": "Standard",
    "targets": {"normal": {"first_response_minutes": 30, "resolution_minutes": 480}},
}


async def presence_of(url, admin, user_id) -> str:
    users = await api(url, admin, "GET", "/api/v1/users")
    return next(u["presence"] for u in users if u["id"] == user_id)


async def test_agent_presence_alerts_and_sla_clock(tmp_path, browser):
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, permissions=["notifications"]
    )
    await context.add_init_script(HOOKS)
    page = await context.new_page()
    async with console_gateway(tmp_path) as (app, url, admin, people):
        ana = people["Ana"]
        # Idle after a minute; a heartbeat lasting an hour, so moving the clock only idles her.
        settings = {"idle_away_minutes": 1, "heartbeat_ttl_seconds": 3600}
        await api(url, admin, "PUT", "/api/v1/assignment/settings", json=settings)
        await api(url, admin, "POST", "/api/v1/sla-policies", json=POLICY)
        async with paused_clock(app) as clock:
            await sign_in(page, url, "Ana")
            await live(page)
            status = page.get_by_label("Your status")
            await expect(status).to_have_value("online")
            assert await presence_of(url, admin, ana) == "online"

            # The toggle: away and back.
            await status.select_option("away")
            await expect(page.locator("[data-presence-box]")).to_have_attribute(
                "data-state", "away"
            )
            assert await presence_of(url, admin, ana) == "away"
            await status.select_option("online")
            await expect(page.locator("[data-presence-box]")).to_have_attribute(
                "data-state", "online"
            )
            assert await presence_of(url, admin, ana) == "online"

            # Idle past the setting: the server's sweep sets her away, the header follows;
            # any input brings her back, since she did not choose away.
            clock.advance(minutes=2)
            assert await sweep(app) == [(ana, "away")]
            await expect(status).to_have_value("away")
            await expect(status).to_have_attribute("title", re.compile("idle"))
            await shot(page, "console-presence-idle-away")
            await page.mouse.move(400, 300)
            await page.mouse.move(420, 320)
            await expect(status).to_have_value("online")
            assert await presence_of(url, admin, ana) == "online"

            # The tab is hidden; a customer writes in, the ticket is assigned to her.
            await page.evaluate("window.__hidden = true")
            mine = await customer_says(app, "I want to talk to a human, my parcel is lost")
            bell = page.locator("[data-alerts]")
            await expect(bell.locator("[data-alert-count]")).to_have_text("1")
            notes = await page.evaluate("window.__notes")
            assert notes[0]["title"] == f"Ticket #{mine} is yours"
            assert "Ana" in notes[0]["body"]
            ticket = await api(url, admin, "GET", f"/api/v1/tickets/{mine}")
            assert ticket["assignee_id"] == ana

            # Back on the tab, away: the next ticket waits, and she hears of it too.
            await page.evaluate("window.__hidden = false")
            await status.select_option("away")
            await expect(page.locator("[data-presence-box]")).to_have_attribute(
                "data-state", "away"
            )
            waiting = await customer_says(app, "Please get me a human, I was charged twice")
            await expect(bell.locator("[data-alert-count]")).to_have_text("2")
            assert len(await page.evaluate("window.__notes")) == 1  # visible: a toast, no popup
            await expect(page.locator("[data-toast]")).to_contain_text(
                f"Ticket #{waiting} needs a human"
            )
            await bell.click()
            panel = page.get_by_role("region", name="Alerts")
            await expect(panel).to_contain_text(f"Ticket #{mine} is yours")
            await expect(panel).to_contain_text(f"Ticket #{waiting} needs a human")
            await expect(bell.locator("[data-alert-count]")).to_be_hidden()
            await shot(page, "console-alerts-panel")
            await bell.click()

            # The queue: due soonest first, each with its SLA clock; the waiting one marked.
            await page.goto(f"{url}/console?sort=sla_due")
            await live(page)
            rows = page.locator("tbody[data-rows] tr[data-ticket-id]")
            await expect(rows).to_have_count(2)
            assert await rows.evaluate_all("rs => rs.map(r => Number(r.dataset.ticketId))") == [
                mine,
                waiting,
            ]
            for row in (rows.nth(0), rows.nth(1)):
                await expect(row.locator("[data-sla]")).to_have_text(re.compile(r"min left$"))
                await expect(row.locator("[data-sla]")).to_have_class(re.compile("sla-ok"))
            queued_row = page.locator(f'tr[data-ticket-id="{waiting}"]')
            await expect(queued_row.locator("[data-needs-human]")).to_be_visible()
            await expect(queued_row.locator("[data-wait]")).to_contain_text("#1 in queue")
            mine_row = page.locator(f'tr[data-ticket-id="{mine}"]')
            await expect(mine_row.locator("[data-needs-human]")).to_have_count(0)
            await expect(page.get_by_label("Sort")).to_have_value("sla_due")
            await shot(page, "console-queue-sla")

            # The ticket: its clocks, and the assignment's reason on the timeline.
            await mine_row.get_by_role("link").click()
            clock_box = page.get_by_label("SLA clock")
            await expect(clock_box).to_contain_text("First response")
            await expect(clock_box).to_contain_text("Resolution")
            first = clock_box.locator("[data-sla]").first
            await expect(first).to_have_text(re.compile(r"^2\d min left$"))
            resolution = clock_box.locator("[data-sla]").last
            await expect(resolution).to_have_text(re.compile(r"^7 h 5\d min left$"))
            await expect(resolution).to_have_attribute("data-due", re.compile(r"^\d{4}-"))
            assigned = page.locator('li[data-event="ticket.assigned"]')
            await expect(assigned).to_contain_text(re.compile(r"Assigned to Ana: (?!to Ana)"))
            await shot(page, "console-ticket-sla-and-assignment")
    await context.close()
