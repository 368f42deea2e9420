"""The real gateway's /demo page in Chromium: chat with the built widget, end to end."""

import asyncio

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.browser import ARTIFACTS
from tests.e2e.test_widget_static import open_panel, send
from tests.integration.webchat_client import gateway

pytestmark = pytest.mark.browser


async def _ticket_messages(url: str, admin: str) -> tuple[int, list[str]]:
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        tickets = (await http.get("/api/v1/tickets")).json()["items"]
        if not tickets:
            return 0, []
        ticket_id = tickets[0]["id"]
        messages = (await http.get(f"/api/v1/tickets/{ticket_id}/messages")).json()
    return ticket_id, [m["text"] for m in messages]


async def _wait_for_ticket(url: str, admin: str, text: str) -> int:
    for _ in range(100):
        ticket_id, texts = await _ticket_messages(url, admin)
        if text in texts:
            return ticket_id
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never reached a ticket")


async def test_demo_page_chat_round_trip(tmp_path, page):
    async with gateway(tmp_path) as (app, url, admin):
        await page.goto(f"{url}/demo")
        await open_panel(page)
        await send(page, "My parcel has not arrived")
        ticket_id = await _wait_for_ticket(url, admin, "My parcel has not arrived")

        async with httpx.AsyncClient(base_url=url) as http:
            reply = await http.post(
                f"/api/v1/tickets/{ticket_id}/messages",
                json={"body": "Sorry! It ships today."},
                headers={"Authorization": f"Bearer {admin}"},
            )
        assert reply.status_code == 201
        panel = page.get_by_role("dialog", name="Chat with us")
        await expect(panel).to_contain_text("Sorry! It ships today.")

        await page.reload()
        await open_panel(page)
        panel = page.get_by_role("dialog", name="Chat with us")
        await expect(panel).to_contain_text("My parcel has not arrived")
        await expect(panel).to_contain_text("Sorry! It ships today.")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "demo-page-chat.png"))
