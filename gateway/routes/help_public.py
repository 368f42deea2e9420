"""The help center's public API for the chat widget: article suggestions as the customer
types (deflection), and the visitor opening one (counted by GET /api/v1/help/deflections).
Public and read-mostly: any site may call them, without credentials."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from gateway import principal as principals
from gateway.deps import get_database
from gateway.routes.help_center import search_articles
from store.errors import Invalid
from store.knowledge import help_service as help
from store.knowledge.schemas import language_of

router = APIRouter(tags=["public"])


class Suggestion(BaseModel):
    article_id: int
    title: str
    url: str  # the article's page, absolute (the widget runs on other sites)
    snippet: str
    locale: str


@router.get("/api/v1/public/help/suggest", response_model=list[Suggestion])
async def suggest(
    request: Request,
    q: Annotated[str, Query(min_length=3, max_length=300)],
    lang: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=5)] = 3,
):
    """Articles for what a customer is typing, before a ticket exists (deflection): the help
    center's own search. Public and read-only, so any site may ask (no credentials)."""
    language = language_of(lang) if lang else "en"
    hits = await search_articles(request, q, language, limit=limit)
    base = request.app.state.settings.public_url.rstrip("/")
    found = [
        Suggestion(
            article_id=int(hit.path.split("/")[-1].split("-", 1)[0]),
            title=hit.title,
            url=base + hit.path,
            snippet=hit.snippet,
            locale=hit.language,
        )
        for hit in hits
    ]
    return JSONResponse(
        [s.model_dump() for s in found], headers={"access-control-allow-origin": "*"}
    )


@router.post("/api/v1/public/help/articles/{article_id}/opened", status_code=204)
async def article_opened(
    request: Request,
    article_id: int,
    visitor_token: Annotated[str, Query(max_length=1000)],
):
    """The widget's visitor opened a suggested article (no body: a simple cross-site POST).
    It counts as a deflection if they do not go on to write (GET /api/v1/help/deflections)."""
    visitor = principals.visitor(request.app.state.settings.secret, visitor_token)
    if visitor is None:
        raise Invalid("visitor_token is missing, expired or not ours")
    async with get_database(request).uow() as session:
        await help.record_open(session, article_id=article_id, conversation=visitor.conversation_id)
    return Response(status_code=204, headers={"access-control-allow-origin": "*"})
