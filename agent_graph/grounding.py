"""Answering from the knowledge base: which article, and which of its sections, a message is
about; or a clarifying question built from the close candidates' section headings or titles.

Passages (the retrieve node's dicts) carry three cosines to the question: to their text
(`similarity`), to their own section heading and to their article's title. A section is the
answer when it matches best and clearly; a message that matches an article as a whole (by its
title, better than any one section) gets the whole article when it is short, and a question
naming its sections when the message is vague or the article long. A vague message that
matches no article well but shares words with several asks which of them it is about.

    grounded = ground(state["passages"], "refund", thresholds)
    grounded.action, grounded.options   # "clarify", ["Charged twice", "How long a refund takes"]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from store.agent.thresholds import BotThresholds
from store.knowledge.search import query_terms

# A whole article is sent when its retrieved sections together are at most this long.
WHOLE_ARTICLE_CHARS = 1000
# Fewer informative words than this (after stop words): "refund", "problem with my order".
VAGUE_BELOW = 3
# A vague message asks between articles that share one of its words and reach this cosine.
VAGUE_FLOOR = 0.2


@dataclass(frozen=True)
class Grounded:
    action: str  # "answer" | "clarify"
    reason: str
    confidence: float
    article_id: str | None = None
    title: str = ""
    text: str = ""
    passages: list[dict] = field(default_factory=list)  # what the answer quotes
    options: list[str] = field(default_factory=list)  # what a clarifying question names


def section_of(passage: dict) -> str:
    """The passage's own heading: the last part of "Title > Section"."""
    return (passage.get("heading") or passage["title"]).rsplit(" > ", 1)[-1]


def _section_score(p: dict) -> float:
    return max(p["similarity"], p.get("heading_similarity", 0.0))


def _articles(passages: list[dict]) -> list[tuple[float, list[dict]]]:
    """(article score, its passages best first), best article first."""
    groups: dict[str, list[dict]] = {}
    for p in passages:
        groups.setdefault(str(p["article_id"]), []).append(p)
    ranked = []
    for group in groups.values():
        group.sort(key=lambda p: -_section_score(p))
        title = max(p.get("title_similarity", 0.0) for p in group)
        ranked.append((max(title, _section_score(group[0])), group))
    return sorted(ranked, key=lambda a: -a[0])


def is_vague(text: str) -> bool:
    return len(query_terms(text)) < VAGUE_BELOW


def ground(passages: list[dict], text: str, t: BotThresholds) -> Grounded | None:
    """Answer or clarify from the passages; None when they do not decide (escalate, or let
    the examples' policy speak)."""
    articles = _articles(passages)
    if not articles:
        return None
    score, group = articles[0]
    runner_up = articles[1][0] if len(articles) > 1 else -1.0
    if score >= t.chunk_answer_similarity and score - runner_up >= t.chunk_margin:
        return _within(score, group, text, t)
    if is_vague(text):
        return _which_article(articles, t)
    return None


def _within(score: float, group: list[dict], text: str, t: BotThresholds) -> Grounded:
    """The chosen article: one section, the whole of it, or which section."""
    best = group[0]
    s1 = _section_score(best)
    s2 = _section_score(group[1]) if len(group) > 1 else -1.0
    title_sim = best.get("title_similarity", 0.0)
    title, article_id = best["title"], str(best["article_id"])
    if s1 >= t.chunk_answer_similarity and s1 >= title_sim and s1 - s2 >= t.chunk_margin:
        why = f"section {section_of(best)!r} of {title!r}: similarity {s1:.2f}, next {s2:.2f}"
        return Grounded("answer", why, s1, article_id, title, best["text"], [best])
    in_order = sorted(group, key=lambda p: int(p["chunk_id"]))
    whole = "\n\n".join(p["text"] for p in in_order)
    if len(group) == 1 or (not is_vague(text) and len(whole) <= WHOLE_ARTICLE_CHARS):
        why = f"article {title!r} as a whole: similarity {score:.2f} (title {title_sim:.2f})"
        return Grounded("answer", why, score, article_id, title, whole, in_order)
    options = list(dict.fromkeys(section_of(p) for p in group))[: t.max_clarify_options]
    why = f"article {title!r} matches (similarity {score:.2f}) but not one section: asking"
    return Grounded("clarify", why, score, article_id, title, options=options)


def _which_article(articles, t: BotThresholds) -> Grounded | None:
    """A vague message sharing words with several articles: ask which one."""
    close = [
        (score, group)
        for score, group in articles
        if score >= VAGUE_FLOOR and any(p.get("lexical_rank") for p in group)
    ]
    if len(close) < 2:
        return None
    options = [group[0]["title"] for _, group in close[: t.max_clarify_options]]
    why = "vague message; articles sharing its words: " + ", ".join(repr(o) for o in options)
    return Grounded("clarify", why, close[0][0], options=options)


def knowledge_decision(state: dict, t: BotThresholds, clarify_text) -> dict | None:
    """`ground` as the decide node's decision fields; `clarify_text(options, language)`
    words the question (agent_graph.replies.clarify_question)."""
    grounded = ground(state.get("passages") or [], state.get("text", ""), t)
    if grounded is None:
        return None
    out = {
        "action": grounded.action,
        "reason": grounded.reason,
        "confidence": round(grounded.confidence, 4),
        "rule": f"knowledge.{grounded.action}",
    }
    if grounded.action == "clarify":
        return out | {
            "text": clarify_text(grounded.options, state.get("language")),
            "options": grounded.options,
            "sources": [],
        }
    sources = [
        {"kind": "passage", "id": p["chunk_id"], "title": p["title"], "article_id": p["article_id"]}
        for p in grounded.passages
    ]
    return out | {
        "text": grounded.text,
        "source_title": grounded.title,
        "source_article_id": grounded.article_id,
        "sources": sources,
    }
