"""Honest waiting in the real widget against the real gateway, in Chromium: a customer who
needs a human sees their place in line, then who has their chat, live; when the team is
closed the widget shows its email form with the real next opening, and the message left there
becomes an email ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.test_widget_static import open_panel, send
from tests.integration.staffing import add_agent, add_team, customer_says
from tests.integration.webchat_client import gateway

pytestmark = pytest.mark.browser
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


async def api(url: str, admin: str, method: str, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {admin}"}) as c:
        response = await c.request(method, path, **kwargs)
    assert response.status_code < 300, response.text
    return response


async def test_the_customer_sees_their_place_in_line_then_their_agent(tmp_path, page, widget_js):
    async with gateway(tmp_path) as (app, url, admin):
        team = await add_team(app, "Support")
        await api(
            url, admin, "PATCH", "/api/v1/assignment/settings", json={"default_team_id": team}
        )
        await add_agent(app, "ana", team=team, capacities={"chat": 1})
        busy = await customer_says(app, "I came first", channel="webchat")

        await page.goto(f"{url}/demo")
        await open_panel(page)
        await send(page, "I would like to talk to a person")
        line = page.locator("#autocrm-widget .waiting")
        await expect(line).to_have_text(
            "A person from our team will be with you soon. You are next in line."
        )
        form = page.get_by_role("region", name="Leave your email")
        await expect(form).to_be_hidden()  # someone is online: no form, no false "away"

        await api(url, admin, "PATCH", f"/api/v1/tickets/{busy}", json={"status": "solved"})
        await expect(line).to_have_text(
            "Ana from our team has your conversation and will reply here."
        )


async def test_a_closed_team_shows_the_form_with_the_real_next_opening(tmp_path, page, widget_js):
    async with gateway(tmp_path) as (app, url, admin):
        team = await add_team(app, "Support")
        await api(
            url, admin, "PATCH", "/api/v1/assignment/settings", json={"default_team_id": team}
        )
        await add_agent(app, "ana", team=team)  # online, but the team is closed
        opens = (datetime.now(UTC) + timedelta(days=2)).date()
        week = {DAYS[opens.weekday()]: [{"start": "09:00", "end": "10:00"}]}
        hours = {"timezone": "UTC", "week": week}
        await api(url, admin, "PUT", f"/api/v1/teams/{team}/hours", json=hours)

        await page.goto(f"{url}/demo")
        await open_panel(page)
        form = page.get_by_role("region", name="Leave your email")
        await expect(form).to_be_visible()
        await expect(form).to_contain_text(f"back {WEEKDAYS[opens.weekday()]}")
        await expect(form).to_contain_text(f"{opens.day}")
        await expect(page.locator("#autocrm-widget .waiting")).to_be_hidden()
        await form.get_by_role("textbox", name="Your email").fill("kim@example.com")
        await form.get_by_role("textbox", name="Your name (optional)").fill("Kim")
        await form.get_by_role("textbox", name="Your message (optional)").fill("Please call me")
        await form.get_by_role("button", name="Notify me").click()
        await expect(form).to_contain_text("Thanks! We'll reply to kim@example.com.")

        # The form's ack came after the ticket's commit.
        [ticket] = (await api(url, admin, "GET", "/api/v1/tickets")).json()["items"]
        assert ticket["channel"] == "email"
        messages = await api(url, admin, "GET", f"/api/v1/tickets/{ticket['id']}/messages")
        assert [m["text"] for m in messages.json()] == ["Please call me"]
