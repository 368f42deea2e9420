"""Help center administration (kb:write): categories, where an article sits and which article
it translates; and what readers did (kb:read): votes, and deflections by widget suggestions."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.deps import Principal, Session, require
from store.db import utcnow
from store.knowledge import help_service as help
from store.knowledge.help_schemas import (
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    PlacementRead,
    PlacementUpdate,
    VoteCounts,
)

router = APIRouter(prefix="/api/v1/help", tags=["help center"])
KbRead = Annotated[Principal, require("kb:read")]
KbWrite = Annotated[Principal, require("kb:write")]


@router.get("/categories", response_model=list[CategoryRead])
async def list_categories(session: Session, who: KbRead):
    return await help.list_categories(session)


@router.post("/categories", status_code=201, response_model=CategoryRead)
async def create_category(data: CategoryCreate, session: Session, who: KbWrite):
    return await help.create_category(session, values=data.model_dump(), actor=who.actor)


@router.patch("/categories/{category_id}", response_model=CategoryRead)
async def update_category(category_id: int, data: CategoryUpdate, session: Session, who: KbWrite):
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    return await help.update_category(
        session, category_id=category_id, changes=changes, actor=who.actor
    )


@router.delete("/categories/{category_id}", status_code=204)
async def delete_category(category_id: int, session: Session, who: KbWrite):
    await help.delete_category(session, category_id=category_id, actor=who.actor)


@router.put("/articles/{article_id}/placement", response_model=PlacementRead)
async def place_article(article_id: int, data: PlacementUpdate, session: Session, who: KbWrite):
    return await help.place(session, article_id=article_id, **data.model_dump(), actor=who.actor)


@router.get("/articles/{article_id}/votes", response_model=VoteCounts)
async def article_votes(article_id: int, session: Session, who: KbRead):
    helpful, not_helpful = await help.vote_counts(session, article_id=article_id)
    return VoteCounts(article_id=article_id, helpful=helpful, not_helpful=not_helpful)


class Deflections(BaseModel):
    article_id: int
    opens: int  # settled opens of the article from the widget's suggestions
    deflections: int  # of those, the ones after which the visitor did not write


@router.get("/deflections", response_model=list[Deflections])
async def deflections(
    session: Session, who: KbRead, days: Annotated[int, Query(ge=1, le=365)] = 30
):
    """Per article, over the last `days`: how often a suggestion was opened, and how often
    the customer then did not write (opens newer than 30 minutes are not counted yet)."""
    since = utcnow() - timedelta(days=days)
    counts = await help.deflections(session, since=since)
    return [
        Deflections(article_id=a, opens=opens, deflections=kept)
        for a, (opens, kept) in sorted(counts.items())
    ]
