"""widget.js features beyond chatting: offline email form, attachments, refusal, unread, sign-in."""

import pytest
from playwright.async_api import expect

from tests.e2e.test_widget_static import open_panel, send
from tests.e2e.widget_fixtures import eventually

pytestmark = pytest.mark.browser


async def test_offline_form_collects_the_email(chat, double):
    double.agents_online = False
    await open_panel(chat)
    form = chat.get_by_role("region", name="Leave your email")
    await expect(form).to_be_visible()
    await form.get_by_role("textbox", name="Your email").fill("kim@example.com")
    await form.get_by_role("textbox", name="Your name (optional)").fill("Kim")
    await form.get_by_role("button", name="Notify me").click()

    await expect(form).to_contain_text("Thanks! We'll reply to kim@example.com.")
    assert double.contacts == [{"email": "kim@example.com", "name": "Kim"}]


async def test_offline_status_event_shows_the_form(chat, double):
    await open_panel(chat)
    await send(chat, "Anyone there?")
    await eventually(lambda: double.received)
    form = chat.get_by_role("region", name="Leave your email")
    await expect(form).to_be_hidden()
    await double.publish(double.only_conversation(), type="status", status="offline")
    await expect(form).to_be_visible()


async def test_attachment_is_uploaded_and_sent_with_the_message(chat, double):
    await open_panel(chat)
    await send(chat, "I'll send the invoice")
    await eventually(lambda: double.received)

    invoice = {"name": "invoice.txt", "mimeType": "text/plain", "buffer": b"Invoice 1042: 99 EUR"}
    await chat.locator("input[type=file]").set_input_files(invoice)
    await expect(chat.get_by_role("list", name="Attachments")).to_contain_text("invoice.txt (20 B)")
    await send(chat, "Here it is")

    await eventually(lambda: len(double.received) == 2)
    (upload_id,) = double.received[1]["attachment_ids"]
    assert double.uploads[upload_id][1] == b"Invoice 1042: 99 EUR"
    link = chat.locator("li.msg--sent").nth(1).get_by_role("link", name="invoice.txt (20 B)")
    await expect(link).to_have_attribute(
        "href", f"{double.server.url}/widget/api/uploads/{upload_id}"
    )


async def test_unsupported_attachment_is_refused_before_upload(chat, double):
    await open_panel(chat)
    await send(chat, "Hi")
    await eventually(lambda: double.received)

    program = {"name": "setup.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ"}
    await chat.locator("input[type=file]").set_input_files(program)
    alert = chat.get_by_role("alert")
    await expect(alert).to_contain_text("setup.exe: only images, PDF and text files can be sent.")
    assert double.uploads == {}


async def test_unknown_widget_key_says_the_chat_is_unavailable(chat, double, host_url):
    await chat.goto(f"{host_url}/?key=pk_wrong")
    await open_panel(chat)
    status = chat.get_by_role("status").filter(has_text="Chat is unavailable")
    await expect(status).to_have_text(
        "Chat is unavailable: This chat is not enabled for this site."
    )
    assert double.connects[-1]["widget_key"] == "pk_wrong"


async def test_reply_while_closed_shows_an_unread_badge(chat, double):
    await open_panel(chat)
    await send(chat, "Hi")
    await eventually(lambda: double.received)
    await chat.get_by_role("button", name="Close chat").click()

    await double.agent_says("Are you still there?")
    await expect(chat.get_by_role("button", name="Open chat (1 unread)")).to_be_visible()
    await open_panel(chat)
    await expect(chat.get_by_role("button", name="Hide chat")).to_be_visible()
    await expect(chat.locator(".badge")).to_be_hidden()


async def test_signed_in_customer_sends_user_id_and_hash(chat, double, host_url):
    await chat.goto(f"{host_url}/?user_id=cust-42&user_hash=abc123")
    await open_panel(chat)
    await send(chat, "Hello as a customer")
    await eventually(lambda: double.received)
    assert double.connects[-1]["user_id"] == "cust-42"
    assert double.connects[-1]["user_hash"] == "abc123"

    # Another customer signs in on the same browser: the first one's conversation is not reused.
    await chat.goto(f"{host_url}/?user_id=cust-43&user_hash=def456")
    await open_panel(chat)
    await eventually(lambda: double.connects[-1]["user_id"] == "cust-43")
    assert double.connects[-1]["visitor_token"] is None
    await expect(chat.locator("li.msg")).to_have_count(0)


async def test_reply_while_away_is_counted_on_the_next_visit(chat, double):
    await open_panel(chat)
    await send(chat, "Hi")
    await eventually(lambda: double.received)
    url, context = chat.url, chat.context
    await chat.close()

    await double.agent_says("We answered while you were away")
    later = await context.new_page()
    await later.goto(url)
    await expect(later.get_by_role("button", name="Open chat (1 unread)")).to_be_visible()
    await open_panel(later)
    await expect(later.locator("li.msg--agent")).to_contain_text("We answered while you were away")
