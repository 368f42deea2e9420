"""Admin pages for SLAs, business hours and assignment in Chromium against a real gateway: an
admin creates, edits and deletes an SLA policy, sees the API's 422 next to the field it is
about, sets a team's hours with holidays and closed dates, saves the assignment settings,
and watches an agent come online in the agents' table."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import expect

from tests.e2e.test_console import api, console_gateway, live, shot, sign_in
from tests.e2e.test_console_admin import wait_for

pytestmark = pytest.mark.browser


async def test_sla_policies_list_create_edit_delete_with_field_errors(tmp_path, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        await sign_in(page, url, "Ada", "/console/admin/sla")
        form = page.get_by_role("form", name="New SLA policy")
        await form.get_by_label("Name").fill("Standard")
        await form.get_by_role("button", name="Create policy").click()
        # No target at all: the 422 sits next to the targets table.
        error = form.locator("[data-errors-for=targets] .field-error")
        await expect(error).to_contain_text("Field required")
        await shot(page, "console-admin-sla-422")

        await form.get_by_label("Normal: first response (minutes)").fill("30")
        await form.get_by_label("Normal: resolution (minutes)").fill("480")
        await form.get_by_label("Urgent: first response (minutes)").fill("10")
        await form.get_by_role("button", name="Create policy").click()
        table = page.locator("[data-list=sla-policies]")
        await expect(table).to_contain_text("Standard")
        await expect(table).to_contain_text("first response 30 min, resolution 480 min")
        [saved] = await api(url, admin, "GET", "/api/v1/sla-policies")
        assert saved["targets"]["normal"]["first_response_minutes"] == 30
        assert saved["targets"]["urgent"]["first_response_minutes"] == 10

        # A second general policy: the scope is taken, said above the form.
        form = page.get_by_role("form", name="New SLA policy")
        await page.get_by_text("New policy").click()
        await form.get_by_label("Name").fill("Another")
        await form.get_by_label("Low: resolution (minutes)").fill("600")
        await form.get_by_role("button", name="Create policy").click()
        await expect(form.locator("[data-form-error]")).to_be_visible()

        row = table.get_by_role("row", name=re.compile("Standard"))
        await row.get_by_text("Edit").click()
        edit = page.get_by_role("form", name="Edit Standard")
        await edit.get_by_label("Normal: first response (minutes)").fill("20")
        await edit.get_by_label("Channel").select_option(label="Email")
        await edit.get_by_role("button", name="Save").click()
        await expect(table).to_contain_text("first response 20 min")
        await expect(table).to_contain_text("Email")
        [saved] = await api(url, admin, "GET", "/api/v1/sla-policies")
        assert (
            saved["channel"] == "email"
            and saved["targets"]["normal"]["first_response_minutes"] == 20
        )
        await shot(page, "console-admin-sla")

        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await (
            table.get_by_role("row", name=re.compile("Standard"))
            .get_by_role("button", name="Delete")
            .click()
        )
        await expect(table).to_contain_text("No policies yet")
        assert await api(url, admin, "GET", "/api/v1/sla-policies") == []


async def test_team_hours_with_holidays_and_closed_dates(tmp_path, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        team = (await api(url, admin, "POST", "/api/v1/teams", json={"name": "Support"}))["id"]
        await sign_in(page, url, "Ada", "/console/admin/hours")
        card = page.locator(f"[data-team-hours='{team}']")
        await expect(card.locator("[data-hours-status]")).to_contain_text("around the clock")
        form = page.get_by_role("form", name="Hours of Support")
        await form.get_by_label("Time zone").fill("Mars/Olympus")
        await form.get_by_role("button", name="Save hours").click()
        await expect(form.locator("label", has_text="Time zone")).to_contain_text(
            "unknown time zone 'Mars/Olympus'"
        )
        await expect(form.get_by_label("Time zone")).to_have_attribute("aria-invalid", "true")

        await form.get_by_label("Time zone").fill("Europe/Berlin")
        await form.get_by_label("Mon").fill("09:00-12:00, 11:00-13:00")
        await form.get_by_role("button", name="Save hours").click()
        await expect(form.locator("[data-form-error]")).to_contain_text("intervals overlap")
        await shot(page, "console-admin-hours-422")

        await form.get_by_label("Mon").fill("09:00-12:00, 13:00-17:00")
        await form.get_by_label("Sat").fill("22:00-06:00")
        await form.get_by_label("Public holidays of").fill("DE")
        await form.get_by_label("Closed on").fill(
            "2026-12-24 Christmas Eve\n2026-12-31 New Year's Eve"
        )
        await form.get_by_role("button", name="Save hours").click()
        await expect(card.locator("[data-hours-status]")).not_to_contain_text("around the clock")
        hours = await api(url, admin, "GET", f"/api/v1/teams/{team}/hours")
        assert hours["timezone"] == "Europe/Berlin" and hours["holiday_country"] == "DE"
        assert hours["week"]["mon"] == [
            {"start": "09:00", "end": "12:00", "overnight": False},
            {"start": "13:00", "end": "17:00", "overnight": False},
        ]
        assert hours["week"]["sat"] == [{"start": "22:00", "end": "06:00", "overnight": True}]
        assert [c["date"] for c in hours["closed_dates"]] == ["2026-12-24", "2026-12-31"]
        assert hours["closed_dates"][0]["name"] == "Christmas Eve"
        # The form shows what was saved.
        await expect(form.get_by_label("Mon")).to_have_value("09:00-12:00, 13:00-17:00")
        await shot(page, "console-admin-hours")


async def test_assignment_settings_and_agents_presence_and_load(tmp_path, browser, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        team = (await api(url, admin, "POST", "/api/v1/teams", json={"name": "Support"}))["id"]
        await sign_in(page, url, "Ada", "/console/admin/assignment")
        await live(page)
        agents = page.locator("[data-list=agents-now]")
        ana_row = agents.locator(f"tr[data-user-id='{people['Ana']}']")
        await expect(ana_row.locator("[data-presence]")).to_have_text("offline")

        form = page.get_by_role("form", name="Assignment settings")
        await form.get_by_label("Default team").select_option(label="Support")
        await form.get_by_label("Live chats", exact=True).fill("2")
        await form.get_by_label("Away after idle").fill("5")
        await form.get_by_label("Reassign an agent's open live chats").check()
        await form.get_by_role("button", name="Save settings").click()

        async def saved_settings():
            found = await api(url, admin, "GET", "/api/v1/assignment/settings")
            return found if found["default_team_id"] == team else None

        saved = await wait_for(saved_settings, timeout=10)
        assert saved["default_team_id"] == team and saved["capacities"]["chat"] == 2
        assert saved["idle_away_minutes"] == 5 and saved["reassign_on_offline"] is True

        # Ana opens her console elsewhere: the table says so without a reload.
        context = await browser.new_context()
        try:
            ana = await context.new_page()
            await sign_in(ana, url, "Ana")
            await live(ana)
            await expect(ana_row.locator("[data-presence]")).to_have_text("online")
        finally:
            await context.close()
        body = {"subject": "Help", "body": "Broken", "customer": {"email": "c@example.com"}}
        await api(url, admin, "POST", "/api/v1/tickets", json=body)
        await page.reload()
        await expect(ana_row.locator("[data-load]")).to_have_text(re.compile(r"^[01]$"))
        await shot(page, "console-admin-assignment")
