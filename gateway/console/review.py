"""The review queue page: the bot's drafts held by review mode, and (for admins) the examples
learned from solved tickets with the customer's specifics replaced and highlighted; each
approved, edited or rejected in place through /api/v1 (console/src/review.js)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from markupsafe import Markup, escape

from gateway.console.web import Agent, ReadSession, render
from store.agent import review_queue
from store.knowledge.scrub import PLACEHOLDER, personalise

router = APIRouter(prefix="/console", include_in_schema=False)


def highlight(text: str) -> Markup:
    """The text, escaped, with every placeholder marked for the reviewer's eye."""
    out, pos = [], 0
    for m in PLACEHOLDER.finditer(text):
        out += [escape(text[pos : m.start()]), Markup('<mark class="redacted">%s</mark>') % m[0]]
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def _originals(row) -> list[dict]:
    seen, out = set(), []
    for r in row.redactions or []:
        key = (r.get("kind"), r.get("original"))
        if r.get("original") and key not in seen:
            seen.add(key)
            out.append({"kind": re.sub("_", " ", r["kind"]), "original": r["original"]})
    return out


@router.get("/review")
async def review_page(request: Request, session: ReadSession, me: Agent):
    learned = await review_queue.pending_learned(session) if me.is_admin else []
    return render(
        request,
        "review.html",
        me=me,
        bot_drafts=await review_queue.pending_bot_drafts(session),
        learned=[
            {"row": r, "originals": _originals(r), "preview": personalise(r.answer)}
            for r in learned
        ],
        highlight=highlight,
    )
