"""widget.js in a real Chromium against the protocol double: open, send, receive, reload, errors."""

import re

import pytest
from playwright.async_api import expect

from tests.e2e.browser import ARTIFACTS
from tests.e2e.widget_fixtures import eventually

pytestmark = pytest.mark.browser

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


async def open_panel(page):
    await page.get_by_role("button", name="Open chat").click()
    await expect(page.get_by_role("dialog", name="Chat with us")).to_be_visible()


async def send(page, text):
    await page.get_by_role("textbox", name="Message").fill(text)
    await page.get_by_role("button", name="Send").click()


async def test_launcher_opens_panel_and_escape_closes_it(chat):
    await open_panel(chat)
    await expect(chat.get_by_role("textbox", name="Message")).to_be_focused()
    await chat.keyboard.press("Escape")
    await expect(chat.get_by_role("dialog")).to_be_hidden()
    await expect(chat.get_by_role("button", name="Open chat")).to_be_focused()


async def test_sent_message_reaches_the_server_and_is_confirmed(chat, double):
    await open_panel(chat)
    await send(chat, "Where is my order #1042?")

    await eventually(lambda: double.received)
    (payload,) = double.received
    assert payload["text"] == "Where is my order #1042?"
    assert UUID4.match(payload["client_id"])
    assert payload["attachment_ids"] == []
    bubble = chat.locator("li.msg--customer")
    await expect(bubble).to_have_class(re.compile(r"\bmsg--sent\b"))
    await expect(bubble).to_contain_text("Where is my order #1042?")
    # The echo event of our own message must not add a second bubble.
    await expect(chat.locator("li.msg")).to_have_count(1)


async def test_agent_event_and_typing_appear(chat, double):
    await open_panel(chat)
    await send(chat, "Hello")
    await eventually(lambda: double.received)

    await double.agent_typing(True)
    await expect(chat.get_by_text("Agent is typing…")).to_be_visible()
    await double.agent_says("Hi, I'm Ana. It ships tomorrow: https://acme.test/track/1042")
    agent = chat.locator("li.msg--agent")
    await expect(agent).to_contain_text("It ships tomorrow")
    await expect(agent.locator(".author")).to_have_text("Ana")
    await expect(agent.get_by_role("link")).to_have_attribute(
        "href", "https://acme.test/track/1042"
    )
    await expect(chat.get_by_text("Agent is typing…")).to_be_hidden()


async def test_host_page_styles_do_not_leak_in(chat):
    await open_panel(chat)
    textbox = chat.get_by_role("textbox", name="Message")
    assert await textbox.evaluate("el => getComputedStyle(el).fontSize") == "14px"
    log = chat.get_by_role("log", name="Conversation")
    assert await log.evaluate("el => getComputedStyle(el).display") == "flex"


async def test_reload_shows_history_once(chat, double):
    await open_panel(chat)
    await send(chat, "First question")
    await eventually(lambda: double.received)
    await double.agent_says("First answer")
    await expect(chat.locator("li.msg")).to_have_count(2)

    await chat.reload()
    # A returning visitor reconnects at once, with its token and last_seq 0 (nothing rendered yet).
    await eventually(lambda: len(double.connects) == 2)
    assert double.connects[1]["visitor_token"] == double.only_conversation().token
    assert double.connects[1]["last_seq"] == 0
    await open_panel(chat)
    messages = chat.locator("li.msg")
    await expect(messages).to_have_count(2)
    await expect(messages.nth(0)).to_contain_text("First question")
    await expect(messages.nth(1)).to_contain_text("First answer")


async def test_new_tab_continues_the_conversation(chat, double):
    await open_panel(chat)
    await send(chat, "Asked in the first tab")
    await eventually(lambda: double.received)

    second = await chat.context.new_page()
    await second.goto(chat.url)
    await open_panel(second)
    await expect(second.locator("li.msg")).to_have_text([re.compile("Asked in the first tab")])
    assert len(double.conversations) == 1


async def test_reconnect_fetches_only_missed_events_without_duplicates(chat, double):
    await open_panel(chat)
    await send(chat, "Before the outage")
    await eventually(lambda: double.received)
    await double.agent_says("Seen live")
    await expect(chat.locator("li.msg")).to_have_count(2)

    async def while_down():
        await expect(chat.get_by_text("Reconnecting…")).to_be_visible()
        await double.agent_says("Sent while you were away")

    await double.outage(while_down)
    await expect(chat.locator("li.msg")).to_have_count(3, timeout=15000)
    await expect(chat.get_by_text("Reconnecting…")).to_be_hidden()
    assert double.connects[-1]["last_seq"] == 2
    await expect(chat.locator("li.msg").nth(2)).to_contain_text("Sent while you were away")


@pytest.mark.parametrize("drop", ["before_commit", "after_commit"])
async def test_message_cut_off_mid_send_is_stored_and_shown_once(chat, double, drop):
    await open_panel(chat)
    await send(chat, "Warm up")
    await eventually(lambda: double.received)

    double.drop_next = drop
    await send(chat, "Did this arrive?")
    customer = chat.locator("li.msg--customer")
    await expect(customer.nth(1)).to_have_class(re.compile(r"\bmsg--sent\b"), timeout=15000)
    await expect(customer).to_have_count(2)
    texts = [event["message"]["text"] for event in double.only_conversation().events]
    assert texts == ["Warm up", "Did this arrive?"]
    if drop == "before_commit":  # never stored, so the widget sent it again with the same id
        resent = [p["client_id"] for p in double.received if p["text"] == "Did this arrive?"]
        assert len(resent) == 2 and resent[0] == resent[1]


async def test_error_event_is_shown_in_words(chat, double):
    await open_panel(chat)
    await send(chat, "Hi")
    await eventually(lambda: double.received)

    await double.send_error("rate_limited", "You are sending messages too fast. Wait 10 seconds.")
    alert = chat.get_by_role("alert")
    await expect(alert).to_contain_text("You are sending messages too fast. Wait 10 seconds.")
    await alert.get_by_role("button", name="Dismiss").click()
    await expect(alert).to_be_hidden()


async def test_refused_message_shows_reason_and_retry_sends_it(chat, double):
    await open_panel(chat)
    await send(chat, "Hi")
    await eventually(lambda: double.received)

    double.reject_next = {
        "code": "too_large",
        "message": "That message is longer than 5000 characters.",
    }
    await send(chat, "A very long message")
    failed = chat.locator("li.msg--failed")
    await expect(failed).to_contain_text("Not sent: That message is longer than 5000 characters.")
    await failed.get_by_role("button", name="Retry").click()
    await expect(chat.locator("li.msg--sent")).to_have_count(2)
    assert double.received[1]["client_id"] == double.received[2]["client_id"]


async def test_phone_viewport_shows_the_panel_full_screen(chat):
    await chat.set_viewport_size({"width": 390, "height": 844})
    await open_panel(chat)
    box = await chat.get_by_role("dialog").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
    ARTIFACTS.mkdir(exist_ok=True)
    await chat.screenshot(path=ARTIFACTS / "widget-phone-open.png")
