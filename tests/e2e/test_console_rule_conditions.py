"""The rule builder in Chromium: a regex, a contact attribute (key=value pairs) and a priority
saved as the schema's JSON; a bad pattern or pair is refused with a message, nothing saved."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.test_console import api, console_gateway, sign_in

pytestmark = pytest.mark.browser


async def test_builder_saves_the_new_conditions_and_refuses_bad_ones(tmp_path, page):
    async with console_gateway(tmp_path) as (app, url, admin, people):
        await sign_in(page, url, "Ada", "/console/admin/rules")
        form = page.get_by_role("form", name="New escalation rule")
        add = form.get_by_label("Add a condition (escalation)")
        await form.get_by_label("Name").fill("Enterprise orders")
        await add.select_option(label="Message text matches (regex)")
        await form.get_by_role("textbox", name="Message text matches (regex)", exact=True).fill(
            "order #(\\d+"
        )
        await add.select_option(label="Contact attribute is")
        pairs = form.get_by_label("Contact attribute is (key=value, comma-separated)")
        await pairs.fill("plan enterprise")
        save = form.get_by_role("button", name="Save escalation rule")
        await save.click()
        await expect(page.get_by_text("is not key=value")).to_be_visible()
        await pairs.fill("plan=enterprise, region = eu")
        await save.click()
        await expect(page.get_by_text("not a valid regular expression")).to_be_visible()
        assert await api(url, admin, "GET", "/api/v1/agent/escalation-rules") == []

        await form.get_by_role("textbox", name="Message text matches (regex)", exact=True).fill(
            "order\\s*#?\\d{4,}"
        )
        await add.select_option(label="Priority is")
        await form.get_by_label("urgent", exact=True).check()
        await save.click()
        rules = page.locator("[data-list=escalation-rules]")
        await expect(rules).to_contain_text("contact plan is 'enterprise'")
        [saved] = await api(url, admin, "GET", "/api/v1/agent/escalation-rules")
        assert saved["conditions"] == {
            "matches": "order\\s*#?\\d{4,}",
            "contact_attributes": {"plan": "enterprise", "region": "eu"},
            "priorities": ["urgent"],
        }
