"""What the help center's and the portal's pages share: templates, the stylesheet, the page's
language, and articles' Markdown turned into safe HTML.

Pages run no script at all (their policy says so): forms post, links link.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt

from gateway.help import i18n
from store.html import sanitize_html

HERE = Path(__file__).resolve().parent
STYLESHEET = HERE / "static" / "help.css"
templates = Jinja2Templates(directory=HERE / "templates")
LANG_COOKIE = "autocrm_lang"
# No script, no frames; forms post only here; styles from our stylesheet.
PAGE_CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data: https:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {"content-security-policy": PAGE_CSP, "x-frame-options": "DENY"}
# Raw HTML inside Markdown is not rendered; what Markdown makes is cleaned once more.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    return sanitize_html(_markdown.render(text or ""))


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80]


def article_path(article_id: int, title: str) -> str:
    slug = slugify(title)
    return f"/help/articles/{article_id}" + (f"-{slug}" if slug else "")


def pick_language(request: Request, offered: list[str]) -> str:
    """?lang= first (the switcher's links), then the reader's earlier choice, then the
    browser's languages; English when none of them is offered."""
    offered = offered or ["en"]
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen and chosen.lower() in offered:
            return chosen.lower()
    found = i18n.from_accept_language(request.headers.get("accept-language"), offered)
    return found or ("en" if "en" in offered else offered[0])


def remember_language(response, request: Request, language: str) -> None:
    if request.query_params.get("lang") == language:
        max_age = 365 * 86400
        response.set_cookie(LANG_COOKIE, language, max_age=max_age, httponly=True, samesite="lax")


def page(request: Request, name: str, context: dict, *, status_code: int = 200):
    language = context.get("lang", "en")
    values = {"t": i18n.words(language), "language_name": i18n.language_name} | context
    response = templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=HEADERS
    )
    return response
