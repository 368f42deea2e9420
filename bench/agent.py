"""Benchmark: retrieval-mode decisions with 10,000 examples and 1,000 articles; retrieval alone
at 50,000 chunks.

Run: python -m bench.agent [--cache-dir DIR] [--chunks 50000]. Prints, in order:

1. the production path: a temporary SQLite store (migrations, then the knowledge services)
   holding 10,000 approved resolution examples (Banking77 train) and 1,000 published articles
   (doc2dial's help pages, two sections per article); each of 1,000 questions (Banking77 test
   and doc2dial opening questions) goes through `retrieval.retrieve` + `decide`, as the
   agent's decide node calls them: decisions/s and p50/p99, embedding of the question included;
   then the same store through the multilingual path: the translated probe questions
   (tests/fixtures/multilingual, es/fr/de/pt) through language detection, the multilingual
   index (agent_graph.multilingual) and decide with the multilingual thresholds: p50/p99;
2. the examples classifier alone (IntentModel.predict + decide) and its fit / warm-start times;
   embedding throughput of both encoders (texts/s in import-sized batches, no cache);
3. retrieval alone: a raw VectorIndex top-10, then `bench.kb_retrieval` (retrieve() over
   50,000 stored chunks).

Uses ../shared/eval when present, else synthetic sentences. Embeddings go through the on-disk
cache (AUTOCRM_CACHE_DIR, or --cache-dir), so only the first run embeds the corpora.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from agent_graph import multilingual
from agent_graph.decision import ChunkHit, decide
from agent_graph.embeddings import MultilingualUSE, OnnxMiniLM
from agent_graph.eval import load_jsonl
from agent_graph.intent_model import Example, IntentModel, LabelScore
from agent_graph.language import detect_language
from agent_graph.retrieval import index_for, retrieve, shared_embedder
from agent_graph.vector_index import VectorIndex
from bench.kb_retrieval import WORDS
from bench.kb_retrieval import bench as bench_stored_chunks
from store.actor import SYSTEM
from store.agent.thresholds import BotThresholds
from store.db import Database
from store.knowledge import examples as kb_examples
from store.knowledge import service as kb_articles
from store.knowledge.models import Chunk
from store.knowledge.schemas import ArticleCreate
from store.migrate import upgrade

EVAL = Path(__file__).resolve().parents[1] / "../shared/eval"
PROBE = Path(__file__).resolve().parents[1] / "tests/fixtures/multilingual/intent_probe_dev.jsonl"


def _examples(n: int) -> tuple[list[Example], list[str]]:
    """Training examples and held-out questions (Banking77 train / test)."""
    if (EVAL / "banking77").is_dir():
        rows = load_jsonl(EVAL / "banking77/train.jsonl")[:n]
        queries = [r["text"] for r in load_jsonl(EVAL / "banking77/test_dev.jsonl")]
    else:  # synthetic: 50 labels of templated sentences
        rows = [
            {"text": f"question {i} about topic {i % 50}", "label": f"t{i % 50}"} for i in range(n)
        ]
        queries = [f"another question about topic {i % 50}" for i in range(1000)]
    return [Example(i, r["text"], r["label"]) for i, r in enumerate(rows)], queries[:1000]


def _articles(n: int) -> list[tuple[str, str]]:
    """(title, Markdown body): doc2dial pages cut into articles of two sections each; a
    section's first line is its heading, as on the original pages."""
    if not (EVAL / "doc2dial").is_dir():
        n_words = len(WORDS)
        return [
            (
                f"Article {i}: {WORDS[i % n_words]} and {WORDS[i // n_words % n_words]}",
                f"## About {WORDS[i % n_words]}\n\n"
                + " ".join(WORDS[(i * 7 + j) % n_words] for j in range(80)),
            )
            for i in range(n)
        ]
    out = []
    for doc in load_jsonl(EVAL / "doc2dial/docs.jsonl"):
        page = doc["doc_id"].split("#")[0]
        sections = [_section(s.strip()) for s in doc["text"].split("\n\n") if s.strip()]
        for start in range(0, len(sections), 2):
            pair = sections[start : start + 2]
            body = "\n\n".join(f"## {head}\n\n{text}" if head else text for head, text in pair)
            out.append((f"{page}: {pair[0][0] or f'part {start // 2 + 1}'}"[:300], body))
    return out[:n]


def _section(text: str) -> tuple[str, str]:
    """(heading, text): a short first line followed by more is the section's heading."""
    head, _, rest = text.partition("\n")
    if len(head) > 100 or not rest.strip():
        return "", text
    return head.strip(), rest.strip()


def _questions(banking: list[str], n: int) -> list[str]:
    """Three Banking77 questions to one doc2dial opening question, interleaved."""
    path = EVAL / "doc2dial/first_turn_dev.jsonl"
    docs = [r["text"] for r in load_jsonl(path)] if path.exists() else []
    out = []
    for i, text in enumerate(banking):
        out.append(text)
        if i % 3 == 2 and docs:
            out.append(docs[(i // 3) % len(docs)])
    return out[:n]


def _pcts(millis: list[float]) -> str:
    p50, p99 = np.percentile(millis, [50, 99])
    return f"p50 {p50:.2f} ms  p99 {p99:.2f} ms  ({1000 / np.mean(millis):.0f}/s)"


# --- 1. the production path: store -> retrieve -> decide --------------------------------


async def _fill_store(db, examples: list[Example], articles: list[tuple[str, str]]) -> int:
    """Through the knowledge services, as an import and the admin console write them;
    returns how many examples were stored (repeated text + label pairs are skipped)."""
    embedder = shared_embedder()
    rows = [
        {"text": e.text, "label": e.label, "answer": f"Answer for {e.label}."} for e in examples
    ]
    started = time.perf_counter()
    async with db.uow() as session:
        done = await kb_examples.import_rows(session, rows=rows, actor=SYSTEM, embedder=embedder)
    print(f"store: import {done.created} approved examples: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    async with db.uow() as session:
        for title, body in articles:
            data = ArticleCreate(title=title, body=body, locale="en", status="published")
            await kb_articles.create(session, data=data, actor=SYSTEM, embedder=embedder)
        chunks = await session.scalar(select(func.count()).select_from(Chunk))
    print(
        f"store: publish {len(articles)} articles ({chunks} chunks): "
        f"{time.perf_counter() - started:.1f} s"
    )
    return done.created


async def _decide_each(db, questions: list[str]) -> tuple[list[float], Counter]:
    millis, actions = [], Counter()
    for text in questions:
        started = time.perf_counter()
        found = await retrieve(db, text, locale="en", k=8)
        hits = [ChunkHit(p.chunk_id, p.article_id, p.title, p.similarity) for p in found.passages]
        actions[decide(found.examples, hits).action] += 1
        millis.append((time.perf_counter() - started) * 1000)
    return millis, actions


async def _approve_one(db) -> float:
    """An admin approves one example: the next question pays the warm-started refit."""
    async with db.uow() as session:
        await kb_examples.create(
            session,
            text="the machine kept my card",
            label="card_swallowed",
            answer="Call us to block it.",
            status="approved",
            actor=SYSTEM,
            embedder=shared_embedder(),
        )
    started = time.perf_counter()
    await retrieve(db, "the ATM swallowed my card", locale="en", k=8)
    return (time.perf_counter() - started) * 1000


async def bench_store_decisions(n_examples: int = 10_000, n_articles: int = 1_000) -> None:
    with tempfile.TemporaryDirectory(prefix="agent-bench-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/agent.db")
        await upgrade(db.engine)
        try:
            await _store_decisions(db, n_examples, n_articles)
        finally:
            await db.dispose()


async def _store_decisions(db: Database, n_examples: int, n_articles: int) -> None:
    examples, banking = _examples(n_examples)
    stored = await _fill_store(db, examples, _articles(n_articles))
    shared_embedder().inner.embed(["warm up"])  # loads the ONNX session: not a decision cost
    started = time.perf_counter()
    await index_for(db).refresh(db)
    fit = index_for(db).model.last_fit
    print(f"first index load (examples fit: {fit}): {time.perf_counter() - started:.1f} s")
    questions = _questions(banking, 1000)
    millis, actions = await _decide_each(db, questions)
    print(
        f"retrieve + decide, {len(questions)} questions over {stored} examples and "
        f"{n_articles} articles (sqlite): {_pcts(millis)}  {dict(actions)}"
    )
    print(
        f"first decision after approving one example (warm refit): {await _approve_one(db):.0f} ms"
    )
    await _multilingual_decisions(db, stored, n_articles)


async def _multilingual_decisions(db: Database, stored: int, n_articles: int) -> None:
    """Non-English questions: detect, multilingual retrieval, decide (multilingual thresholds)."""
    started = time.perf_counter()
    await multilingual.index_for(db).refresh(db)
    print(
        f"multilingual index first load ({stored} examples and {n_articles} articles' chunks, "
        f"vectors from the on-disk cache or embedded): {time.perf_counter() - started:.1f} s"
    )
    probe = load_jsonl(PROBE)
    questions = [row[lang] for row in probe for lang in ("es", "fr", "de", "pt")]
    thresholds = BotThresholds().multilingual()
    millis, actions = [], Counter()
    for text in questions * 2:
        t0 = time.perf_counter()
        lang = detect_language(text)
        found = await multilingual.retrieve(db, text, language=lang, k=8)
        scores = [
            LabelScore(e["label"], e["probability"], e["similarity"], e["example_id"])
            for e in found.examples
        ]
        hits = [
            ChunkHit(p["chunk_id"], p["article_id"], p["title"], p["similarity"])
            for p in found.passages
        ]
        actions[decide(scores, hits, thresholds).action] += 1
        millis.append((time.perf_counter() - t0) * 1000)
    print(
        f"detect + multilingual retrieve + decide, {len(millis)} translated questions: "
        f"{_pcts(millis)}  {dict(actions)}"
    )


# --- 2. the examples classifier alone ---------------------------------------------------


def bench_decisions() -> None:
    cached = shared_embedder()
    raw = cached.inner
    examples, queries = _examples(10_000)
    model = IntentModel(cached)
    started = time.perf_counter()
    cached.embed([e.text for e in examples])
    print(
        f"embed {len(examples)} examples (cached after first run): "
        f"{time.perf_counter() - started:.1f} s"
    )
    stats = model.fit(examples)
    print(f"fit: {stats}")
    stats = model.add([Example("new", "my card got swallowed by the machine", "card_swallowed")])
    print(f"incremental add of 1 example (warm start): {stats}")
    raw.embed(["warm up"])
    total, model_only = [], []
    for q in queries:
        t0 = time.perf_counter()
        vec = raw.embed([q])
        t1 = time.perf_counter()
        decide(model.predict([q], vectors=vec)[0])
        t2 = time.perf_counter()
        total.append((t2 - t0) * 1000)
        model_only.append((t2 - t1) * 1000)
    print(f"classifier decision incl. embedding, {len(queries)} queries: {_pcts(total)}")
    print(f"classifier decision excl. embedding: {_pcts(model_only)}")
    bench_throughput([e.text for e in examples[:1000]])


def bench_throughput(texts: list[str]) -> None:
    """Texts per second through each encoder, uncached, in batches as an import sends them."""
    for encoder in (OnnxMiniLM(), MultilingualUSE()):
        encoder.embed(["warm up"])
        started = time.perf_counter()
        for start in range(0, len(texts), 256):
            encoder.embed(texts[start : start + 256])
        rate = len(texts) / (time.perf_counter() - started)
        print(f"embedding throughput {encoder.model_id}: {rate:.0f} texts/s ({len(texts)} texts)")


# --- 3. retrieval alone -----------------------------------------------------------------


def bench_retrieval(n: int = 50_000, dim: int = 384) -> None:
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    index = VectorIndex(dim)
    started = time.perf_counter()
    for start in range(0, n, 1000):  # incremental batches, as re-indexing adds them
        index.add(list(range(start, start + 1000)), vecs[start : start + 1000])
    print(f"index add {n} x {dim}: {time.perf_counter() - started:.2f} s")
    millis = []
    for q in rng.normal(size=(500, dim)).astype(np.float32):
        t0 = time.perf_counter()
        index.search(q, k=10)
        millis.append((time.perf_counter() - t0) * 1000)
    print(f"top-10 search over {len(index)} vectors: {_pcts(millis)}")
    t0 = time.perf_counter()
    index.remove(list(range(0, n, 10)))
    print(f"remove {n // 10} ids: {(time.perf_counter() - t0) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache-dir", default=None, help="AUTOCRM_CACHE_DIR for this run")
    parser.add_argument("--chunks", type=int, default=50_000, help="0 skips the stored-chunk run")
    args = parser.parse_args()
    if args.cache_dir:
        os.environ["AUTOCRM_CACHE_DIR"] = args.cache_dir  # read by shared_embedder()
    asyncio.run(bench_store_decisions())
    bench_decisions()
    bench_retrieval()
    if args.chunks:
        asyncio.run(bench_stored_chunks(None, args.chunks, 300))


if __name__ == "__main__":
    main()
