"""The help center at /help: published articles as pages, per language, by category, with
search (the bot's own retrieval) and "was this helpful?" votes.

`/help/articles/{id}` is the stable address the bot cites; `/help/articles/{id}-{slug}` (the
form our own links use) shows the same page, whatever the slug says.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse

from agent_graph.retrieval import retrieve
from gateway.deps import get_database
from gateway.help import (
    STYLESHEET,
    article_path,
    page,
    pick_language,
    remember_language,
    render_markdown,
)
from store.errors import Invalid
from store.knowledge import help_service as help
from store.knowledge.schemas import language_of
from store.knowledge.search import search_chunks, snippet

router = APIRouter(tags=["help center"], include_in_schema=False)
log = logging.getLogger(__name__)
MIN_SIMILARITY = 0.3  # MiniLM cosine: related sentences score above, unrelated ones near 0.1
VOTER_COOKIE = "autocrm_voter"
_ARTICLE_REF = re.compile(r"^(\d{1,12})(?:-[A-Za-z0-9-]*)?$")


@dataclass(frozen=True)
class Item:
    title: str
    path: str


@dataclass(frozen=True)
class Hit:
    title: str
    path: str
    language: str
    snippet: str


def _item(article) -> Item:
    return Item(article.title, article_path(article.id, article.title))


async def _languages(request: Request) -> list[str]:
    async with get_database(request).read() as session:
        return await help.locales(session) or ["en"]


def _switch(request: Request, languages: list[str], **paths: str) -> dict[str, str]:
    """Where each language's link goes: the same page in that language."""
    query = dict(request.query_params)
    links = {}
    for code in languages:
        links[code] = paths.get(code) or f"{request.url.path}?{urlencode(query | {'lang': code})}"
    return links


def _render(
    request: Request,
    template: str,
    lang: str,
    languages: list[str],
    context: dict,
    *,
    status_code: int = 200,
    switch: dict[str, str] | None = None,
):
    context = {"lang": lang, "languages": languages} | context
    context["switch"] = switch or _switch(request, languages)
    response = page(request, template, context, status_code=status_code)
    remember_language(response, request, lang)
    return response


@router.get("/help/static/help.css")
async def stylesheet():
    return FileResponse(STYLESHEET, media_type="text/css")


@router.get("/help/")
async def trailing_slash():
    return RedirectResponse("/help", status_code=308)


@router.get("/help")
async def home(request: Request):
    languages = await _languages(request)
    lang = pick_language(request, languages)
    async with get_database(request).read() as session:
        categories = await help.list_categories(session)
        listed = await help.list_published(session, locale=lang)
        sections = []
        for category in categories:
            items = [_item(x.article) for x in listed if x.category_id == category.id]
            if items:
                sections.append({"category": category, "articles": items})
        known = {c.id for c in categories}
        loose = [_item(x.article) for x in listed if x.category_id not in known]
        context = {"sections": sections, "loose": loose}
        return _render(request, "home.html", lang, languages, context)


@router.get("/help/categories/{slug}")
async def category_page(request: Request, slug: str):
    languages = await _languages(request)
    lang = pick_language(request, languages)
    async with get_database(request).read() as session:
        found = [c for c in await help.list_categories(session) if c.slug == slug]
        if not found:
            return _render(request, "not_found.html", lang, languages, {}, status_code=404)
        listed = await help.list_published(session, locale=lang, category_id=found[0].id)
        context = {"category": found[0], "items": [_item(x.article) for x in listed]}
        return _render(request, "category.html", lang, languages, context)


def _vote_token(request: Request, voter: str) -> str:
    secret = request.app.state.settings.secret.encode()
    return hmac.new(secret, f"help-vote:{voter}".encode(), hashlib.sha256).hexdigest()[:32]


@router.get("/help/articles/{ref}")
async def article_page(request: Request, ref: str, voted: bool = False):
    languages = await _languages(request)
    match = _ARTICLE_REF.match(ref)
    async with get_database(request).read() as session:
        article = await help.get_published(session, article_id=int(match[1])) if match else None
        if article is None:
            lang = pick_language(request, languages)
            return _render(request, "not_found.html", lang, languages, {}, status_code=404)
        context = await _article_context(session, article)
        lang = language_of(article.locale)  # the page speaks the article's language
        voter = request.cookies.get(VOTER_COOKIE) or secrets.token_urlsafe(16)
        context |= {"voted": voted, "vote_token": _vote_token(request, voter)}
        paths = context["paths"]
        context["public_url"] = request.app.state.settings.public_url.rstrip("/")
        context["own_path"] = article_path(article.id, article.title)
        switch = _switch(request, languages) | {c: f"/help?lang={c}" for c in languages} | paths
        response = _render(request, "article.html", lang, languages, context, switch=switch)
    if VOTER_COOKIE not in request.cookies:
        year = 365 * 86400
        response.set_cookie(VOTER_COOKIE, voter, max_age=year, httponly=True, samesite="lax")
    return response


async def _article_context(session, article) -> dict:
    """The article's body, category, neighbours there, and its translations' addresses."""
    placement = await help.get_placement(session, article_id=article.id)
    category, related = None, []
    if placement and placement.category_id:
        category = await help.get_category(session, category_id=placement.category_id)
        listed = await help.list_published(session, locale=article.locale, category_id=category.id)
        related = [_item(x.article) for x in listed if x.article.id != article.id][:5]
    group = await help.translations(session, article_id=article.id)
    titles = await help.published_by_ids(session, ids=list(group.values()))
    paths = {code: article_path(i, titles[i].title) for code, i in group.items() if i in titles}
    lang = language_of(article.locale)
    others = [(code, path) for code, path in sorted(paths.items()) if code != lang]
    body = render_markdown(article.body)
    return {
        "article": article,
        "body": body,
        "category": category,
        "related": related,
        "others": others,
        "paths": paths,
    }


@router.post("/help/articles/{article_id}/vote")
async def vote(
    request: Request,
    article_id: int,
    helpful: Annotated[str, Form(pattern="^(yes|no)$")],
    token: Annotated[str, Form(max_length=64)] = "",
):
    """A vote needs the reader's cookie and the token the page gave them: a vote posted from
    another site carries neither (the cookie is SameSite=Lax), so it is not counted."""
    voter = request.cookies.get(VOTER_COOKIE, "")
    if not voter or not hmac.compare_digest(token, _vote_token(request, voter)):
        raise Invalid("vote from the article's own page (cookies must be on)")
    async with get_database(request).uow() as session:
        await help.vote(session, article_id=article_id, voter=voter[:64], helpful=helpful == "yes")
    return RedirectResponse(f"/help/articles/{article_id}?voted=1", status_code=303)


async def _passages(db, q: str, lang: str, k: int) -> list:
    try:
        found = await retrieve(db, q, locale=lang, k=k)
    except Exception:  # no embedding model here: the database's full text still answers
        log.exception("help center search fell back to full text")
        async with db.read() as session:
            return await search_chunks(session, q, locale=lang, limit=k)
    return [
        p for p in found.passages if p.lexical_rank is not None or p.similarity >= MIN_SIMILARITY
    ]


@router.get("/help/search")
async def search_page(request: Request, q: Annotated[str, Query(min_length=1, max_length=300)]):
    languages = await _languages(request)
    lang = pick_language(request, languages)
    hits = await search_articles(request, q, lang, limit=10)
    return _render(request, "search.html", lang, languages, {"q": q, "hits": hits})


async def search_articles(request: Request, q: str, lang: str, *, limit: int) -> list[Hit]:
    """Published articles for the words, by the bot's retrieval (vector + full text fused);
    the reader's language first, the others after. A passage the words do not occur in and
    whose meaning is far from them is no answer (vector search always finds a nearest one)."""
    db = get_database(request)
    best: dict[int, Hit] = {}
    for passage in await _passages(db, q, lang, limit * 3):
        if passage.article_id not in best:
            path = article_path(passage.article_id, passage.title)
            language = language_of(passage.locale)
            best[passage.article_id] = Hit(passage.title, path, language, snippet(passage.text, q))
    async with db.read() as session:
        live = await help.published_by_ids(session, ids=list(best))
    hits = [hit for article_id, hit in best.items() if article_id in live]
    hits.sort(key=lambda h: h.language != lang)  # stable: retrieval's order within each group
    return hits[:limit]
