"""The customer's side in Chromium against a real gateway: the help center read on a phone in
Spanish and English (switcher, search, an article, a vote), and the portal: a customer signs
in through the link the real SMTP server received, sees the tickets they opened by email and
by SMS, replies, closes and rates."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from playwright.async_api import expect

from agent_graph.retrieval import shared_embedder
from store.actor import SYSTEM
from store.contacts import service as contacts
from store.knowledge import help_service as help
from store.knowledge import service as kb
from store.knowledge.schemas import ArticleCreate
from store.tickets import service as tickets
from tests.e2e.loopback import serve
from tests.gateway_fixtures import make_settings, running_app
from tests.integration.portal_helpers import configure_mailbox, customer_writes, sign_in_links

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
ANN = "ann@customer.example"


@asynccontextmanager
async def customer_gateway(tmp_path):
    async with running_app(make_settings(tmp_path, None)) as app, serve(app) as server:
        yield app, server.url


async def _articles(app) -> dict[str, int]:
    ids = {}
    texts = {
        "en": ("Reset your password", "Click **Forgot password** on the sign-in page."),
        "es": ("Restablecer la contraseña", "Pulsa **Olvidé mi contraseña** en la página."),
    }
    async with app.state.db.uow() as session:
        category = await help.create_category(
            session,
            values={"slug": "account", "name": "Your account", "names": {"es": "Tu cuenta"}},
            actor=SYSTEM,
        )
        for locale, (title, body) in texts.items():
            data = ArticleCreate(title=title, body=body, locale=locale, status="published")
            article = await kb.create(session, data=data, actor=SYSTEM, embedder=shared_embedder())
            ids[locale] = article.id
        for locale, original in (("en", None), ("es", ids["en"])):
            await help.place(
                session,
                article_id=ids[locale],
                category_id=category.id,
                translation_of=original,
                position=0,
                actor=SYSTEM,
            )
    return ids


async def _fits_the_screen(page) -> None:
    wide = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wide, "the page scrolls sideways on a phone"


async def test_help_center_on_a_phone_in_two_languages(browser, tmp_path):
    async with customer_gateway(tmp_path) as (app, url):
        ids = await _articles(app)
        context = await browser.new_context(viewport=PHONE, locale="es-ES")
        page = await context.new_page()
        try:
            await page.goto(f"{url}/help")
            await expect(page.get_by_role("heading", level=1)).to_have_text("Centro de ayuda")
            await expect(page.get_by_role("link", name="Tu cuenta")).to_be_visible()
            await _fits_the_screen(page)

            await page.get_by_role("link", name="Restablecer la contraseña").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(
                "Restablecer la contraseña"
            )
            await _fits_the_screen(page)
            await page.get_by_role("button", name="Sí").click()
            await expect(page.get_by_text("Gracias por tu opinión.")).to_be_visible()

            await page.get_by_role("link", name="English").first.click()  # the switcher
            await expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
            assert page.url.endswith(f"/help/articles/{ids['en']}-reset-your-password")

            await page.goto(f"{url}/help?lang=en")
            await page.get_by_role("searchbox").fill("forgot my password")
            await page.get_by_role("button", name="Search").click()
            await expect(page.get_by_role("heading", level=1)).to_contain_text("forgot my password")
            await page.locator("ol.results a").first.click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
            await _fits_the_screen(page)
        finally:
            await context.close()
        async with app.state.db.read() as session:
            assert await help.vote_counts(session, article_id=ids["es"]) == (1, 0)


async def test_a_customer_signs_in_by_the_mailed_link_and_replies(browser, tmp_path, smtp_server):
    async with customer_gateway(tmp_path) as (app, url):
        await configure_mailbox(app, smtp_server)
        by_email = await customer_writes(
            app, channel="email", kind="email", value=ANN, text="Parcel never came", name="Ann"
        )
        async with app.state.db.uow() as session:  # Ann's phone, on her contact
            contact = await contacts.get_by_identity(session, kind="email", value=ANN)
            await contacts.add_identity(
                session, contact=contact, kind="phone", value="+15550009999"
            )
        by_sms = await customer_writes(
            app, channel="twilio_sms", kind="phone", value="+15550009999", text="Also texting you"
        )
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        try:
            await page.goto(f"{url}/portal")
            await page.get_by_label("Email address").fill(ANN)
            await page.get_by_role("button", name="Send me a link").click()
            await expect(page.get_by_role("status")).to_contain_text("sign-in link is on its way")

            [path] = sign_in_links(smtp_server[1], ANN)  # as the customer's mail shows it
            await page.goto(url + path)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Your tickets")
            await expect(
                page.get_by_role("link", name=f"#{by_email} Parcel never came")
            ).to_be_visible()
            await expect(
                page.get_by_role("link", name=f"#{by_sms} Also texting you")
            ).to_be_visible()
            await _fits_the_screen(page)

            await page.get_by_role("link", name=f"#{by_email} Parcel never came").click()
            await page.get_by_label("Reply").fill("Still nothing today, please check")
            await page.get_by_role("button", name="Send").click()
            await expect(page.locator(".msg.mine .text").last).to_have_text(
                "Still nothing today, please check"
            )
            await page.get_by_role("button", name="Close this ticket").click()
            await expect(page.get_by_text("This ticket is closed.")).to_be_visible()
            await page.get_by_role("button", name="5 / 5").click()
            await expect(page.get_by_text("you rated this ticket 5 of 5")).to_be_visible()
        finally:
            await context.close()
        async with app.state.db.read() as session:
            messages = await tickets.list_messages(session, ticket_id=by_email)
            texts = [(m.direction, m.author_kind, m.text) for m in messages]
        assert ("in", "customer", "Still nothing today, please check") in texts
