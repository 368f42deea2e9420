"""Questions in other languages: matched through a multilingual encoder, beside the English path.

The English encoder and classifier (agent_graph.retrieval, agent_graph.intent_model) stay the
stronger path for English. A message that triage found to be in another language is matched
here instead, against multilingual vectors (USE v3, `embeddings.MultilingualUSE`) of the same
approved examples and published passages, so "¿Cómo restablezco mi contraseña?" finds the
English article on passwords, and a Spanish article first where one exists.

The vectors live in memory per database, following the same change tokens as the English index
(`store.knowledge.revisions`); texts go through the on-disk embedding cache, so a restart
re-reads vectors instead of recomputing them. Built on the first non-English question.

    found = await retrieve(db, "¿Cómo restablezco mi contraseña?", language="es")
    found.passages   # dicts as the retrieve node writes them, best first, `similarity` = cosine
    found.examples   # dicts with label, probability (neighbour vote), similarity, answer
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from agent_graph.embeddings import CachedEmbedder, MultilingualUSE
from agent_graph.intent_model import LabelScore
from agent_graph.per_database import PerDatabase
from store.db import Database
from store.knowledge import revisions
from store.knowledge.embedder import Embedder
from store.knowledge.schemas import language_of
from store.knowledge.service import embed_text

_NEVER = "never-read"


class NeighbourLabels:
    """Labels by their nearest examples in the multilingual space: a label's probability is
    its share of a similarity-weighted vote of the `neighbours` closest examples, its
    similarity the cosine to its closest example (the same two numbers `decide` reads from
    the English classifier, on the multilingual encoder's own scale)."""

    def __init__(self, *, neighbours: int = 10, sharpness: float = 0.03) -> None:
        self.neighbours = neighbours
        self.sharpness = sharpness  # a neighbour this much less similar gets 1/e of the vote
        self.ids: list[Hashable] = []
        self.labels: list[str] = []
        self._codes = np.zeros(0, np.int64)
        self._matrix = np.zeros((0, 0), np.float32)

    def fit(self, ids: Sequence[Hashable], labels: Sequence[str], vectors: np.ndarray) -> None:
        self.labels = sorted(set(labels))
        code = {lab: j for j, lab in enumerate(self.labels)}
        self.ids = list(ids)
        self._codes = np.array([code[lab] for lab in labels], np.int64)
        if not self.ids:
            self._matrix = np.zeros((0, 0), np.float32)
            return
        self._matrix = np.asarray(vectors, np.float32).reshape(len(self.ids), -1)

    def scores(self, vector: np.ndarray, k: int = 5) -> list[LabelScore]:
        if not self.ids:
            return []
        sims = self._matrix @ np.asarray(vector, np.float32)
        n = min(self.neighbours, len(sims))
        near = np.argpartition(-sims, n - 1)[:n]
        weights = np.exp((sims[near] - sims[near].max()) / self.sharpness)
        vote = np.bincount(self._codes[near], weights, minlength=len(self.labels))
        vote /= vote.sum()
        best = np.full(len(self.labels), -1.0, np.float32)
        np.maximum.at(best, self._codes, sims)
        out = []
        for j in np.argsort(-vote)[:k]:
            if vote[j] <= 0:
                break
            members = np.flatnonzero(self._codes == j)
            nearest = self.ids[members[np.argmax(sims[members])]]
            out.append(LabelScore(self.labels[j], float(vote[j]), float(best[j]), nearest))
        return out


@dataclass
class Found:
    passages: list[dict] = field(default_factory=list)
    examples: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class _Chunk:
    article_id: int
    title: str
    heading: str
    text: str
    locale: str
    digest: str


class MultilingualIndex:
    """Multilingual vectors of one database's approved examples and published passages."""

    def __init__(self, embedder: Embedder, *, english_model: str) -> None:
        self.embedder = embedder
        self.query_embedder: Embedder = getattr(embedder, "inner", embedder)
        self.english_model = english_model  # chunks are listed by the model that embedded them
        self._chunks: dict[int, _Chunk] = {}
        self._chunk_vectors: dict[int, np.ndarray] = {}
        self._chunk_ids: list[int] = []
        self._chunk_matrix = np.zeros((0, embedder.dim), np.float32)
        self._examples: dict[
            int, tuple[str, str, str, str]
        ] = {}  # id -> digest, text, label, answer
        self._example_vectors: dict[int, np.ndarray] = {}
        self.labels = NeighbourLabels()
        self._tokens: dict[str, str] = {}
        self._locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._cpu = threading.Lock()

    async def refresh(self, db: Database) -> None:
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock, db.read() as session:
            tokens = await revisions.tokens(session)
            if tokens.get("chunks") != self._tokens.get("chunks", _NEVER):
                current = await revisions.chunk_digests(session, embedding_model=self.english_model)
                keep = {i: c for i, c in self._chunks.items() if current.get(i) == c.digest}
                wanted = [i for i in current if i not in keep]
                rows = [
                    r async for batch in revisions.chunk_batches(session, ids=wanted) for r in batch
                ]
                await asyncio.to_thread(self._set_chunks, keep, rows)
            if tokens.get("examples") != self._tokens.get("examples", _NEVER):
                current = await revisions.approved_example_digests(session)
                keep_ex = {i: e for i, e in self._examples.items() if current.get(i) == e[0]}
                wanted = [i for i in current if i not in keep_ex]
                rows = await revisions.list_examples_by_ids(session, ids=wanted)
                await asyncio.to_thread(self._set_examples, keep_ex, rows)
            self._tokens = tokens

    def _set_chunks(self, keep: dict[int, _Chunk], rows) -> None:
        with self._cpu:
            vectors = self.embedder.embed([embed_text(r) for r in rows])
            self._chunks = dict(keep)
            self._chunk_vectors = {i: self._chunk_vectors[i] for i in keep}
            for row, vec in zip(rows, vectors, strict=True):
                self._chunks[row.id] = _Chunk(
                    row.article_id, row.title, row.heading, row.text, row.locale, row.digest
                )
                self._chunk_vectors[row.id] = vec
            self._chunk_ids = list(self._chunks)
            self._chunk_matrix = (
                np.stack([self._chunk_vectors[i] for i in self._chunk_ids])
                if self._chunk_ids
                else np.zeros((0, self.embedder.dim), np.float32)
            )

    def _set_examples(self, keep: dict, rows) -> None:
        with self._cpu:
            vectors = self.embedder.embed([r.text for r in rows])
            self._examples = dict(keep)
            self._example_vectors = {i: self._example_vectors[i] for i in keep}
            for row, vec in zip(rows, vectors, strict=True):
                self._examples[row.id] = (row.digest, row.text, row.label, row.answer)
                self._example_vectors[row.id] = vec
            ids = list(self._examples)
            matrix = np.stack([self._example_vectors[i] for i in ids]) if ids else None
            self.labels.fit(ids, [self._examples[i][2] for i in ids], matrix)

    def search(self, text: str, language: str, *, k: int = 8) -> Found:
        """Passages (the customer's language first among equals) and example labels."""
        vector = self.query_embedder.embed([text])[0]
        with self._cpu:
            examples = self.labels.scores(vector, k=min(k, 5))
            sims = self._chunk_matrix @ vector if self._chunk_ids else np.zeros(0)
            order = np.argsort(-sims)[: 4 * k]
            hits = [(self._chunk_ids[i], float(sims[i])) for i in order]
            chunks = dict(self._chunks)
            answers = {s.label: self._examples[s.example_id][3] for s in examples}
        # The customer's language first when it is about as close (within 0.02).
        hits.sort(key=lambda h: -(h[1] + 0.02 * (language_of(chunks[h[0]].locale) == language)))
        passages = [_passage(i, chunks[i], sim) for i, sim in hits[:k]]
        return Found(passages, [_example(s, answers) for s in examples])


def _passage(chunk_id: int, c: _Chunk, similarity: float) -> dict:
    return {
        "chunk_id": str(chunk_id),
        "article_id": str(c.article_id),
        "title": c.title,
        "heading": c.heading,
        "text": c.text,
        "locale": c.locale,
        "similarity": round(similarity, 4),
    }


def _example(score: LabelScore, answers: dict[str, str]) -> dict:
    return {
        "label": score.label,
        "probability": round(score.probability, 4),
        "similarity": round(score.similarity, 4),
        "example_id": str(score.example_id),
        "answer": answers.get(score.label),
    }


# --- the process-wide instances ---------------------------------------------------------

_embedder: Embedder | None = None
_guard = threading.Lock()


def shared_embedder() -> Embedder:
    """The multilingual encoder with the on-disk cache (AUTOCRM_CACHE_DIR)."""
    global _embedder
    with _guard:
        if _embedder is None:
            from agent_graph.eval import default_cache_dir

            _embedder = CachedEmbedder(MultilingualUSE(), default_cache_dir())
        return _embedder


def _new_index() -> MultilingualIndex:
    from agent_graph.retrieval import shared_embedder as english_embedder

    return MultilingualIndex(shared_embedder(), english_model=english_embedder().model_id)


_indexes: PerDatabase[MultilingualIndex] = PerDatabase(_new_index)


def index_for(db: Database) -> MultilingualIndex:
    return _indexes.get(db)


async def retrieve(db: Database, text: str, *, language: str, k: int = 8) -> Found:
    """Passages and example labels for a question in `language` (not English)."""
    index = index_for(db)
    await index.refresh(db)
    return await asyncio.to_thread(index.search, text, language, k=k)
