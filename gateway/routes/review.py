"""Review queue API: everything waiting for a person's approval in one list -- the bot's
drafts held by review mode (decided through POST /tickets/{id}/agent/review) and the examples
learned from solved tickets, scrubbed of customer specifics (approve / edit / reject here)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from gateway.deps import Principal, Session, TicketsRead, require
from store.agent import review_queue
from store.knowledge import examples
from store.knowledge.schemas import DraftRead, DraftReview

router = APIRouter(prefix="/api/v1", tags=["review queue"])
KbWrite = Annotated[Principal, require("kb:write")]


class BotDraft(BaseModel):
    ticket_id: int
    subject: str
    draft: str
    reason: str | None = None
    triage: dict = {}
    created_at: datetime


class ReviewQueue(BaseModel):
    bot_drafts: list[BotDraft]
    # Learned drafts need kb:write to see (their redactions hold the customer's originals).
    learned: list[DraftRead]
    can_review_learned: bool


@router.get("/review-queue", response_model=ReviewQueue)
async def review_queue_list(session: Session, who: TicketsRead):
    learned = []
    if who.allows("kb:write"):
        learned = await review_queue.pending_learned(session)
    return ReviewQueue(
        bot_drafts=await review_queue.pending_bot_drafts(session),
        learned=learned,
        can_review_learned=who.allows("kb:write"),
    )


@router.post("/review-queue/learned/{example_id}", response_model=DraftRead)
async def review_learned(example_id: int, data: DraftReview, session: Session, who: KbWrite):
    """Edit a learned draft (it stays pending), approve it (with any edits: the bot then
    answers from it, placeholder-free) or reject it."""
    return await examples.review_draft(
        session,
        example_id=example_id,
        action=data.action,
        actor=who.actor,
        text=data.text,
        answer=data.answer,
        label=data.label,
    )
