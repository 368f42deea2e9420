"""Retrieval-mode policy: answer only when sure, clarify between close candidates, else escalate."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from agent_graph.intent_model import LabelScore
from store.agent.thresholds import BotThresholds

Action = Literal["answer", "clarify", "escalate"]


@dataclass(frozen=True)
class ChunkHit:
    """A knowledge-base passage found by retrieval; `article_id` groups chunks of one article."""

    chunk_id: Hashable
    article_id: Hashable
    title: str
    similarity: float


@dataclass(frozen=True)
class Candidate:
    source: Literal["example", "article"]
    id: Hashable  # label for examples, chunk id for articles
    title: str
    score: float  # probability for examples, similarity for articles
    similarity: float
    ref: Hashable = None  # nearest example id / article id


@dataclass(frozen=True)
class Decision:
    action: Action
    confidence: float
    reason: str
    label: str | None = None  # the resolution label when answering from examples
    chosen: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)


def _from_examples(scores: Sequence[LabelScore]) -> list[Candidate]:
    return [
        Candidate("example", s.label, s.label, s.probability, s.similarity, s.example_id)
        for s in scores
    ]


def _from_chunks(hits: Sequence[ChunkHit]) -> list[Candidate]:
    """Best chunk per article, most similar first."""
    best: dict[Hashable, ChunkHit] = {}
    for h in hits:
        if h.article_id not in best or h.similarity > best[h.article_id].similarity:
            best[h.article_id] = h
    ranked = sorted(best.values(), key=lambda h: -h.similarity)
    return [
        Candidate("article", h.chunk_id, h.title, h.similarity, h.similarity, h.article_id)
        for h in ranked
    ]


def _confident_example(ex: list[Candidate], t: BotThresholds) -> Candidate | None:
    if ex and ex[0].score >= t.answer_probability and ex[0].similarity >= t.answer_similarity:
        return ex[0]
    return None


def _confident_chunk(ch: list[Candidate], t: BotThresholds) -> Candidate | None:
    if not ch or ch[0].similarity < t.chunk_answer_similarity:
        return None
    runner_up = ch[1].similarity if len(ch) > 1 else -1.0
    return ch[0] if ch[0].similarity - runner_up >= t.chunk_margin else None


def _close_options(ex: list[Candidate], ch: list[Candidate], t: BotThresholds) -> list[Candidate]:
    """Candidates plausible enough to name in a clarifying question."""
    opts = [c for c in ex if c.score >= t.clarify_probability]
    opts = [c for c in opts if c.similarity >= t.clarify_similarity]
    if opts and sum(c.score for c in opts) < t.clarify_mass:
        opts = []
    if ch and ch[0].similarity >= t.chunk_clarify_similarity:
        top = ch[0].similarity
        opts += [c for c in ch if top - c.similarity <= 2 * t.chunk_margin]
    return opts[: t.max_clarify_options]


def decide(
    example_scores: Sequence[LabelScore] = (),
    chunk_hits: Sequence[ChunkHit] = (),
    thresholds: BotThresholds | None = None,
) -> Decision:
    """Pick answer / clarify / escalate from example predictions and retrieved passages."""
    t = thresholds or BotThresholds()
    ex, ch = _from_examples(example_scores), _from_chunks(chunk_hits)
    cands = ex + ch
    if pick := _confident_example(ex, t):
        why = (
            f"example label {pick.id!r}: p={pick.score:.2f}, nearest example {pick.similarity:.2f}"
        )
        return Decision("answer", pick.score, why, pick.id, pick, cands)
    if pick := _confident_chunk(ch, t):
        why = f"article passage {pick.id!r}: similarity {pick.similarity:.2f}"
        return Decision("answer", pick.similarity, why, None, pick, cands)
    opts = _close_options(ex, ch, t)
    if len(opts) >= 2:
        names = ", ".join(repr(c.title) for c in opts)
        return Decision("clarify", opts[0].score, f"close candidates: {names}", None, None, opts)
    top = cands[0].score if cands else 0.0
    return Decision("escalate", top, _escalate_reason(ex, ch), None, None, cands)


def _escalate_reason(ex: list[Candidate], ch: list[Candidate]) -> str:
    if not ex and not ch:
        return "no examples or passages to answer from"
    parts = []
    if ex:
        parts.append(f"best label {ex[0].id!r} p={ex[0].score:.2f} sim={ex[0].similarity:.2f}")
    if ch:
        parts.append(f"best passage sim={ch[0].similarity:.2f}")
    return "not confident: " + "; ".join(parts)
