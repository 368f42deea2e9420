"""The help center at /help on SQLite and PostgreSQL: published articles as pages in their
language, categories, the stable address the bot cites, search through the bot's retrieval,
votes counted once per reader, drafts and unknown ids as a 404 page."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import time_machine

from agent_graph.retrieval import shared_embedder
from channels.webchat.parse import parse
from channels.webchat.verify import new_visitor, sign_visitor
from store.actor import SYSTEM
from store.knowledge import service as kb
from store.knowledge.schemas import ArticleCreate
from store.tickets.ingest_writer import write_one
from tests.gateway_fixtures import make_key

RESET_EN = (
    "Reset your password",
    "## Forgot your password\nClick **Forgot password** on the sign-in page; we email a reset "
    "link that works for 24 hours.\n\n<script>alert(1)</script>",
)
RESET_ES = (
    "Restablecer la contraseña",
    "## Olvidé mi contraseña\nPulsa **Olvidé mi contraseña** en la página de acceso; te "
    "enviamos un enlace que sirve 24 horas.",
)
REFUNDS = ("Refunds", "Refunds reach your card in 5 to 10 business days.")


async def add(app, title, body, *, locale="en", status="published") -> int:
    async with app.state.db.uow() as session:
        data = ArticleCreate(title=title, body=body, locale=locale, status=status)
        article = await kb.create(session, data=data, actor=SYSTEM, embedder=shared_embedder())
        return article.id


async def test_the_bots_citation_renders_the_article_and_its_slug_form_too(client, app):
    article_id = await add(app, *RESET_EN)
    page = await client.get(f"/help/articles/{article_id}")
    assert page.status_code == 200
    assert "<h1>Reset your password</h1>" in page.text
    assert "<strong>Forgot password</strong>" in page.text
    assert "<script>" not in page.text  # raw HTML in Markdown is never rendered
    assert "script-src 'none'" in page.headers["content-security-policy"]
    slugged = await client.get(f"/help/articles/{article_id}-reset-your-password")
    assert slugged.status_code == 200 and "Reset your password" in slugged.text
    assert (await client.get(f"/help/articles/{article_id}-any-old-slug")).status_code == 200


async def test_drafts_unknown_and_malformed_ids_are_a_404_page(client, app):
    draft = await add(app, "Secret roadmap", "Not yet.", status="draft")
    for path in (f"/help/articles/{draft}", "/help/articles/999999", "/help/articles/abc"):
        page = await client.get(path)
        assert page.status_code == 404, path
        assert "Page not found" in page.text
        assert "Secret roadmap" not in page.text


async def test_home_lists_categories_per_language_with_a_switcher(client, app, admin_headers):
    en = await add(app, *RESET_EN)
    es = await add(app, *RESET_ES, locale="es")
    await add(app, *REFUNDS)
    made = await client.post(
        "/api/v1/help/categories",
        json={"slug": "account", "name": "Your account", "names": {"es": "Tu cuenta"}},
        headers=admin_headers,
    )
    assert made.status_code == 201, made.text
    category = made.json()["id"]
    for article_id, original in ((en, None), (es, en)):
        placed = await client.put(
            f"/api/v1/help/articles/{article_id}/placement",
            json={"category_id": category, "translation_of": original},
            headers=admin_headers,
        )
        assert placed.status_code == 200, placed.text

    english = await client.get("/help", headers={"accept-language": "en-US,en;q=0.9"})
    assert "Your account" in english.text and "Refunds" in english.text
    assert "Restablecer" not in english.text
    assert 'href="/help?lang=es' in english.text  # the switcher offers Spanish

    spanish = await client.get("/help?lang=es")
    assert "Centro de ayuda" in spanish.text and "Tu cuenta" in spanish.text
    assert "Restablecer la contraseña" in spanish.text and "Refunds" not in spanish.text
    assert spanish.cookies.get("autocrm_lang") == "es"  # the choice is remembered
    browser_says = await client.get("/help", headers={"accept-language": "es-ES"})
    assert "Centro de ayuda" in browser_says.text

    article = await client.get(f"/help/articles/{en}")
    assert f'href="/help/articles/{es}-restablecer-la-contrasena"' in article.text
    canonical = f'<link rel="canonical" href="http://127.0.0.1:8000/help/articles/{en}-reset-'
    assert canonical in article.text
    assert f'hreflang="es" href="http://127.0.0.1:8000/help/articles/{es}-' in article.text
    section = await client.get("/help/categories/account?lang=en")
    assert "Reset your password" in section.text and "Refunds" not in section.text
    assert (await client.get("/help/categories/nope")).status_code == 404


async def test_search_finds_articles_through_the_bots_retrieval(client, app):
    reset = await add(app, *RESET_EN)
    await add(app, *REFUNDS)
    await add(app, "Unpublished reset tricks", "password reset internals", status="draft")
    page = await client.get("/help/search", params={"q": "I forgot my password", "lang": "en"})
    assert page.status_code == 200
    links = re.findall(r'<li><a href="(/help/articles/[^"]+)"', page.text)
    assert links[0] == f"/help/articles/{reset}-reset-your-password"
    assert "Unpublished" not in page.text
    empty = await client.get("/help/search", params={"q": "x" * 301})
    assert empty.status_code == 422


async def _vote(client, article_id: int, helpful: str):
    page = await client.get(f"/help/articles/{article_id}")
    token = re.search(r'name="token" value="([^"]+)"', page.text)[1]
    return await client.post(
        f"/help/articles/{article_id}/vote", data={"helpful": helpful, "token": token}
    )


async def test_votes_are_stored_once_per_reader(client, app, admin_headers):
    article_id = await add(app, *RESET_EN)
    answer = await _vote(client, article_id, "no")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/help/articles/{article_id}?voted=1"
    await _vote(client, article_id, "yes")  # the same reader changes their mind
    thanks = await client.get(answer.headers["location"])
    assert "Thanks for your feedback." in thanks.text

    client.cookies.clear()  # another reader
    await _vote(client, article_id, "yes")
    counts = await client.get(f"/api/v1/help/articles/{article_id}/votes", headers=admin_headers)
    assert counts.json() == {"article_id": article_id, "helpful": 2, "not_helpful": 0}


async def test_a_vote_without_the_pages_token_is_refused(client, app):
    article_id = await add(app, *RESET_EN)
    forged = await client.post(
        f"/help/articles/{article_id}/vote", data={"helpful": "yes", "token": "x"}
    )
    assert forged.status_code == 422
    key = await make_key(app, ["kb:read"])
    counts = await client.get(
        f"/api/v1/help/articles/{article_id}/votes", headers={"Authorization": f"Bearer {key}"}
    )
    assert counts.json()["helpful"] == 0


async def test_category_changes_need_kb_write(client, app):
    key = await make_key(app, ["kb:read"])
    refused = await client.post(
        "/api/v1/help/categories",
        json={"slug": "billing", "name": "Billing"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert refused.status_code == 403


async def test_the_widget_can_ask_for_suggestions_as_the_customer_types(client, app):
    reset = await add(app, *RESET_EN)
    await add(app, *REFUNDS)
    found = await client.get(
        "/api/v1/public/help/suggest", params={"q": "i forgot my password", "lang": "en"}
    )
    assert found.status_code == 200
    assert found.headers["access-control-allow-origin"] == "*"
    first = found.json()[0]
    assert first["article_id"] == reset and first["locale"] == "en"
    assert first["url"].endswith(f"/help/articles/{reset}-reset-your-password")
    short = await client.get("/api/v1/public/help/suggest", params={"q": "hi"})
    assert short.status_code == 422  # too short to suggest anything yet


async def test_an_opened_suggestion_is_a_deflection_only_if_the_visitor_does_not_write(
    client, app, admin_headers
):
    article_id = await add(app, *RESET_EN)
    secret = app.state.settings.secret
    wrote, quiet = new_visitor(1, None), new_visitor(1, None)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as clock:
        for visitor in (wrote, quiet):
            opened = await client.post(
                f"/api/v1/public/help/articles/{article_id}/opened",
                params={"visitor_token": sign_visitor(secret, visitor)},
            )
            assert opened.status_code == 204, opened.text
            assert opened.headers["access-control-allow-origin"] == "*"
        clock.shift(timedelta(minutes=5))
        message = replace(parse(wrote, "c1", "that did not help", []), account_id=None)
        await write_one(app.state.db, message)
        clock.shift(timedelta(minutes=10))
        counts = await client.get("/api/v1/help/deflections", headers=admin_headers)
        assert counts.json() == []  # not settled yet: the quiet one may still write
        clock.shift(timedelta(minutes=30))
        counts = await client.get("/api/v1/help/deflections", headers=admin_headers)
    assert counts.json() == [{"article_id": article_id, "opens": 2, "deflections": 1}]
    forged = await client.post(
        f"/api/v1/public/help/articles/{article_id}/opened", params={"visitor_token": "x"}
    )
    assert forged.status_code == 422


async def test_words_that_match_nothing_find_nothing(client, app):
    await add(app, *RESET_EN)
    await add(app, *REFUNDS)
    page = await client.get("/help/search", params={"q": "xylophone quartet", "lang": "en"})
    assert page.status_code == 200
    assert "No article matches" in page.text and "/help/articles/" not in page.text
