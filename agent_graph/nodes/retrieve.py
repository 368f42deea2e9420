"""retrieve: knowledge-base passages and resolution examples for the customer's words, read
with the ticket's recent turns (the customer's and ours) so a follow-up finds its article."""

from __future__ import annotations

import re

from langgraph.runtime import Runtime

from agent_graph.query import Fusion, Turn, role_of
from agent_graph.state import TurnContext, TurnState
from store.tickets import bot_view

HISTORY_TURNS = Fusion().history_turns
_LINK = re.compile(r"\s*\(?https?://[^\s)]+\)?")


def _passage(p) -> dict:
    return {
        "chunk_id": str(p.chunk_id),
        "article_id": str(p.article_id),
        "title": p.title,
        "heading": getattr(p, "heading", "") or "",
        "text": p.text,
        "locale": getattr(p, "locale", None),
        "similarity": round(float(p.similarity), 4),
        "heading_similarity": round(float(getattr(p, "heading_similarity", 0.0)), 4),
        "title_similarity": round(float(getattr(p, "title_similarity", 0.0)), 4),
        "fused": round(float(getattr(p, "fused", 0.0)), 5),
        "lexical_rank": getattr(p, "lexical_rank", None),
        "vector_rank": getattr(p, "vector_rank", None),
    }


def _example(score, answers: dict) -> dict:
    return {
        "label": score.label,
        "probability": round(float(score.probability), 4),
        "similarity": round(float(score.similarity), 4),
        "example_id": str(score.example_id),
        "answer": answers.get(score.label),
    }


def answers_of(retrieved) -> dict[str, str]:
    """label -> the answer a human gave for it, from whatever the retriever returned."""
    answers = getattr(retrieved, "answers", None)
    if isinstance(answers, dict):
        return answers
    found = {}
    for item in getattr(retrieved, "example_answers", None) or []:
        found.setdefault(item.label, item.answer)
    return found


async def conversation(ctx: TurnContext, state: TurnState) -> list[Turn]:
    """The ticket's turns before this message, oldest first."""
    if not state.get("message_id"):
        return []
    async with ctx.db.read() as session:
        rows = await bot_view.recent_turns(
            session,
            ticket_id=state["ticket_id"],
            before_message_id=state["message_id"],
            limit=HISTORY_TURNS,
        )
    # Links (our citations among them) say nothing about the topic and add noise words.
    return [Turn(role_of(kind), _LINK.sub("", text)) for kind, text in rows]


async def retrieve(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    ctx = runtime.context
    history = await conversation(ctx, state)
    found = await ctx.retrieve(
        ctx.db, state["text"], history=history, locale=state.get("language"), k=8
    )
    answers = answers_of(found)
    examples = [_example(s, answers) for s in found.examples]
    passages = [_passage(p) for p in found.passages]
    top = examples[0] if examples else None
    scores = ([top["probability"]] if top else []) + [p["similarity"] for p in passages[:1]]
    return {
        "examples": examples,
        "passages": passages,
        "intent": top["label"] if top else None,
        "history": [{"role": t.role, "text": t.text[:300]} for t in history],
        "confidence": round(max(scores, default=0.0), 4),
    }
