"""Knowledge retrieval: article passages for a customer's message read with the conversation
before it (a query vector leaning towards the earlier turns, and full-text searches of both,
fused by weighted reciprocal rank: agent_graph.query.Fusion), and the approved resolution
examples' classifier, from one process-wide index per database.

The index lives in memory and follows the database: every call first reads the change tokens
(`kb_revisions`, one short row each); only when one differs does it diff (id, digest) pairs
and load the rows it lacks, with the vectors stored beside them. So a worker sees what
another process wrote at its next call, and nothing is embedded twice.

    found = await retrieve(db, "what if I forgot?", history=[Turn("customer", "reset my
                           password")], locale="en", k=8)
    found.passages   # list[Passage], best first, at most two per article; .similarity is the
                     # cosine to the conversation's query vector, .title_similarity and
                     # .heading_similarity to the article's title and the passage's heading
    found.examples   # list[LabelScore] from the examples classifier (latest message only)
    found.answers    # label -> the answer a human gave for it
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from agent_graph.embeddings import default_embedder
from agent_graph.intent_model import Example, IntentModel, LabelScore
from agent_graph.per_database import PerDatabase
from agent_graph.query import DEFAULT_FUSION, ConversationQuery, Fusion, Turn
from agent_graph.vector_index import VectorIndex
from store.db import Database
from store.knowledge import revisions
from store.knowledge.embedder import Embedder
from store.knowledge.models import Chunk, ResolutionExample
from store.knowledge.schemas import language_of
from store.knowledge.search import search_chunks

_NEVER = "never-read"
PER_ARTICLE = 2  # passages of one article among a retrieval's k
HEADING_CACHE = 50_000  # title/heading vectors kept in memory (then the on-disk cache serves)


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    article_id: int
    title: str
    heading: str
    text: str
    locale: str
    similarity: float  # cosine of the question's embedding to this passage's
    lexical_rank: int | None  # 1-based rank in the full-text results, None if not found there
    vector_rank: int | None  # 1-based rank among nearest vectors, None if not among them
    fused: float = 0.0  # the reciprocal-rank fusion score that ordered the passages
    # cosines of the question to the article's title and to the passage's own heading: a
    # short question ("how long does shipping take?") often matches where a text sits
    # better than the text itself
    title_similarity: float = 0.0
    heading_similarity: float = 0.0


@dataclass
class Retrieved:
    passages: list[Passage]
    examples: list[LabelScore]
    answers: dict[str, str] = field(default_factory=dict)  # label -> a human's answer
    query: ConversationQuery | None = None  # what was searched for


@dataclass(frozen=True)
class _ChunkMeta:
    article_id: int
    title: str
    heading: str
    text: str
    locale: str
    digest: str


class _Preloaded:
    """Serves vectors stored with example rows; asks the real embedder only for the rest."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.known: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.known))
        if missing:
            self.known.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.stack([self.known[t] for t in texts]) if texts else np.zeros((0, self.dim))


class KnowledgeIndex:
    """Chunk vectors per language, the examples classifier, and the tokens they reflect."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        # Questions are rarely repeated: embed them directly, past any on-disk cache.
        self.query_embedder: Embedder = getattr(embedder, "inner", embedder)
        self._by_language: dict[str, VectorIndex] = {}
        self._chunks: dict[int, _ChunkMeta] = {}
        self._examples: dict[int, tuple[str, str]] = {}  # id -> (digest, answer)
        self._vectors: dict[int, np.ndarray] = {}  # example id -> vector, for fresh fits
        self._example_vectors = _Preloaded(embedder)
        self.model = IntentModel(self._example_vectors)
        self._tokens: dict[str, str] = {}
        self._locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._cpu = threading.Lock()
        self._heading_vectors: dict[str, np.ndarray] = {}  # title or heading path -> vector

    # --- keeping up with the database -------------------------------------------------

    async def refresh(self, db: Database) -> None:
        """Load what changed since the last call (a no-op read when nothing did)."""
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock, db.read() as session:
            tokens = await revisions.tokens(session)
            if tokens.get("chunks") != self._tokens.get("chunks", _NEVER):
                await self._sync_chunks(session)
            if tokens.get("examples") != self._tokens.get("examples", _NEVER):
                await self._sync_examples(session)
            self._tokens = tokens

    async def _sync_chunks(self, session) -> None:
        current = await revisions.chunk_digests(session, embedding_model=self.embedder.model_id)
        stale = [i for i, meta in self._chunks.items() if current.get(i) != meta.digest]
        for chunk_id in stale:
            meta = self._chunks.pop(chunk_id)
            self._by_language[language_of(meta.locale)].remove([chunk_id])
        wanted = [i for i in current if i not in self._chunks]
        async for rows in revisions.chunk_batches(session, ids=wanted):
            self._add_chunks(rows)

    def _add_chunks(self, rows: list[Chunk]) -> None:
        by_language: dict[str, list[Chunk]] = {}
        for row in rows:
            by_language.setdefault(language_of(row.locale), []).append(row)
            self._chunks[row.id] = _ChunkMeta(
                row.article_id, row.title, row.heading, row.text, row.locale, row.digest
            )
        for lang, group in by_language.items():
            index = self._by_language.setdefault(lang, VectorIndex(self.embedder.dim))
            vectors = np.stack([np.frombuffer(r.embedding, np.float32) for r in group])
            index.add([r.id for r in group], vectors)

    async def _sync_examples(self, session) -> None:
        current = await revisions.approved_example_digests(session)
        wanted = [i for i, dig in current.items() if self._examples.get(i, ("",))[0] != dig]
        rows = await revisions.list_examples_by_ids(session, ids=wanted)
        if rows or len(current) != len(self._examples):
            await asyncio.to_thread(self._apply_examples, set(current), rows)

    def _apply_examples(self, current: set[int], rows: list[ResolutionExample]) -> None:
        """Teach the classifier the changes: a warm-started refit for a few, a fresh fit
        (new TF-IDF vocabulary) on first load or when the set grew by a fifth or more."""
        model_id = self.embedder.model_id
        with self._cpu:
            for row in rows:
                if row.embedding is not None and row.embedding_model == model_id:
                    vec = np.frombuffer(row.embedding, np.float32)
                    self._example_vectors.known[row.text] = vec
            removed = [i for i in self._examples if i not in current]
            for example_id in removed:
                self._examples.pop(example_id)
                self._vectors.pop(example_id, None)
            new = [Example(r.id, r.text, r.label) for r in rows]
            if len(new) * 5 >= max(len(self.model.examples), 1):
                kept = [e for i, e in self.model.examples.items() if i in current]
                kept = [e for e in kept if e.id not in {n.id for n in new}]
                self._example_vectors.known.update(self._known_vectors(kept))
                self.model.fit(kept + new)
            else:
                if removed:
                    self.model.remove(removed)
                if new:
                    self.model.add(new)
            for row in rows:
                self._examples[row.id] = (row.digest, row.answer)
                if (vec := self._example_vectors.known.get(row.text)) is not None:
                    self._vectors[row.id] = vec
            self._example_vectors.known.clear()

    def _known_vectors(self, examples: list[Example]) -> dict[str, np.ndarray]:
        """Vectors of examples the classifier holds, so a fresh fit embeds nothing again."""
        return {e.text: self._vectors[e.id] for e in examples if e.id in self._vectors}

    # --- answering a question ---------------------------------------------------------

    def _languages(self, locale: str | None) -> tuple[list[str], str | None]:
        """The requested language alone when it has passages, else every language."""
        lang = language_of(locale) if locale else None
        if lang and len(self._by_language.get(lang, ())):
            return [lang], lang
        return list(self._by_language), None

    def _nearest(self, query: np.ndarray, langs: list[str], pool: int) -> list[tuple[int, float]]:
        hits = [h for lang in langs for h in self._by_language[lang].search(query, k=pool)]
        return sorted(hits, key=lambda h: -h[1])[:pool]

    def _think(self, query: ConversationQuery, langs: list[str], pool: int, k: int, fusion):
        """CPU part of a query, in one worker thread: embed the latest message and the
        conversation before it, nearest passages, classify.

        Embedded apart: in one batch the short message is padded to the context's length (~15x
        the work). The context goes through the cached embedder, since the bot's turn and the
        human's suggested reply read the same conversation for the same message."""
        vectors = self.query_embedder.embed([query.latest])
        if query.context:
            vectors = np.vstack([vectors, self.embedder.embed([query.context])])
        vector = conversation_vector(vectors, fusion.context_weight)
        nearest = self._nearest(vector, langs, pool)
        # The examples classifier reads the latest message: its thresholds are tuned on that.
        examples = self.model.predict([query.latest], k=min(k, 5), vectors=vectors[:1])[0]
        return vector, nearest, examples

    async def retrieve(
        self,
        db: Database,
        text: str,
        *,
        history: Sequence[Turn] = (),
        locale: str | None = None,
        k: int = 8,
        fusion: Fusion = DEFAULT_FUSION,
    ) -> Retrieved:
        await self.refresh(db)
        langs, only = self._languages(locale)
        pool = max(4 * k, 20)
        query = ConversationQuery.of(text, history, fusion)

        async def lexical(words: str):
            if not words:
                return []
            async with db.read() as session:
                return await search_chunks(session, words, locale=only, limit=pool)

        (vector, nearest, examples), latest_hits, context_hits = await asyncio.gather(
            asyncio.to_thread(self._think, query, langs, pool, k, fusion),
            lexical(query.latest),
            lexical(query.context),
        )
        passages = self._fuse(vector, nearest, latest_hits, context_hits, k, fusion)
        passages = await asyncio.to_thread(self._with_headings, vector, passages)
        answers = {
            s.label: self._examples[s.example_id][1]
            for s in examples
            if s.example_id in self._examples
        }
        return Retrieved(passages, examples, answers, query=query)

    def _fuse(self, query, nearest, latest_hits, context_hits, k, fusion) -> list[Passage]:
        """Weighted reciprocal-rank fusion of the nearest vectors and the two full-text
        searches; `similarity` is always the cosine to the conversation's query vector."""
        sim: dict[int, float] = {}
        metas = dict(self._chunks)
        for chunk_id, cosine in nearest:
            sim[chunk_id] = cosine
        for hit in [*latest_hits, *context_hits]:
            vec = np.frombuffer(hit.embedding, np.float32)
            if vec.shape != query.shape:
                continue  # embedded by another model: not comparable
            sim.setdefault(hit.chunk_id, float(vec @ query))
            metas.setdefault(
                hit.chunk_id,
                _ChunkMeta(hit.article_id, hit.title, hit.heading, hit.text, hit.locale, ""),
            )
        vrank = {c: r for r, (c, _) in enumerate(nearest, start=1)}
        lrank = {h.chunk_id: h.rank for h in latest_hits if h.chunk_id in sim}
        crank = {h.chunk_id: h.rank for h in context_hits if h.chunk_id in sim}
        score = fuse_ranks(
            [
                (fusion.dense_weight, vrank),
                (fusion.lexical_weight, lrank),
                (fusion.lexical_context_weight, crank),
            ],
            fusion.rrf_k,
        )
        ranked = sorted((i for i in score if i in metas), key=lambda i: (-score[i], -sim[i]))
        best = per_article(ranked, lambda i: metas[i].article_id, k)
        return [
            Passage(
                i,
                metas[i].article_id,
                metas[i].title,
                metas[i].heading,
                metas[i].text,
                metas[i].locale,
                round(sim[i], 6),
                lrank.get(i),
                vrank.get(i),
                round(score[i], 6),
            )
            for i in best
        ]

    def _with_headings(self, query: np.ndarray, passages: list[Passage]) -> list[Passage]:
        """The passages with their title and own-heading cosines (vectors kept per text)."""
        names = [n for p in passages for n in (p.title, section_of(p.heading))]
        missing = list(dict.fromkeys(n for n in names if n not in self._heading_vectors))
        if missing:
            if len(self._heading_vectors) > HEADING_CACHE:
                self._heading_vectors.clear()
            vectors = self.embedder.embed(missing)
            self._heading_vectors.update(zip(missing, vectors, strict=True))
        cos = {n: round(float(self._heading_vectors[n] @ query), 6) for n in names}
        return [
            replace(p, title_similarity=cos[p.title], heading_similarity=cos[section_of(p.heading)])
            for p in passages
        ]


def section_of(heading: str) -> str:
    """A passage's own heading: the last part of its path "Title > Section > Subsection"."""
    return heading.rsplit(" > ", 1)[-1]


def per_article(ranked: list[int], article_of, k: int, cap: int = PER_ARTICLE) -> list[int]:
    """The first `k` of `ranked` taking at most `cap` passages of any one article, so the
    decision sees several articles (and recall@5 five of them at k=10)."""
    seen: dict = {}
    out = []
    for i in ranked:
        article = article_of(i)
        if seen.get(article, 0) < cap:
            seen[article] = seen.get(article, 0) + 1
            out.append(i)
            if len(out) == k:
                break
    return out


def conversation_vector(vectors: np.ndarray, context_weight: float) -> np.ndarray:
    """The latest message's vector, leaning towards the conversation's by `context_weight`."""
    vector = vectors[0] + (context_weight * vectors[1] if len(vectors) > 1 else 0.0)
    return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)


def fuse_ranks(lists: Sequence[tuple[float, dict]], rrf_k: int) -> dict:
    """Weighted reciprocal-rank fusion: sum of weight / (rrf_k + rank) over the lists."""
    score: dict = {}
    for weight, ranks in lists:
        if weight:
            for item, rank in ranks.items():
                score[item] = score.get(item, 0.0) + weight / (rrf_k + rank)
    return score


# --- the process-wide instances ---------------------------------------------------------

_embedder: Embedder | None = None
_guard = threading.Lock()


def shared_embedder() -> Embedder:
    """The process's embedder: offline MiniLM with the on-disk cache (AUTOCRM_CACHE_DIR)."""
    global _embedder
    with _guard:
        if _embedder is None:
            from agent_graph.eval import default_cache_dir

            _embedder = default_embedder(default_cache_dir())
        return _embedder


_indexes: PerDatabase[KnowledgeIndex] = PerDatabase(lambda: KnowledgeIndex(shared_embedder()))


def index_for(db: Database) -> KnowledgeIndex:
    """One index per database URL (every Database object on it sees the same rows)."""
    return _indexes.get(db)


async def retrieve(
    db: Database,
    text: str,
    *,
    history: Sequence[Turn] = (),
    locale: str | None = None,
    k: int = 8,
    fusion: Fusion = DEFAULT_FUSION,
) -> Retrieved:
    """Passages (preferring `locale`'s articles) for a customer's latest message read with the
    conversation before it (`history`, oldest first), and example labels for the message."""
    index = index_for(db)
    return await index.retrieve(db, text, history=history, locale=locale, k=k, fusion=fusion)
