"""`autocrm eval kb --docs DOCS.jsonl --test TEST.jsonl`: knowledge retrieval recall, measured
through the bot's own retrieval on an isolated knowledge base.

DOCS.jsonl rows are `{doc_id, text[, title]}`; TEST.jsonl rows are `{text, label, history}`
(doc2dial's shape: `history` oldest first as "user:..."/"agent:..." lines, `label` the doc_id
that grounds the answer). The documents are imported through the knowledge services into a
fresh SQLite file in a temporary directory (or --data-dir), then every turn goes through
`retrieval.retrieve` with its history, as the agent's retrieve node calls it. The last line
printed is one JSON object: n, recall_at_1, recall_at_5, mrr_at_5, p50_ms, p99_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agent_graph.query import turns_from_lines
from agent_graph.retrieval import retrieve, shared_embedder
from store.actor import SYSTEM
from store.db import Database
from store.knowledge import service as kb
from store.knowledge.models import Article
from store.migrate import upgrade

SOURCE_PREFIX = "eval:"


def load_jsonl(path: str | Path) -> list[dict]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def title_of(doc: dict) -> str:
    """A document's title: its own, doc2dial's page name (the doc_id before '#'), the heading
    it opens with, or its first words (an article needs one)."""
    if doc.get("title"):
        return str(doc["title"])[:300]
    doc_id = str(doc["doc_id"])
    if "#" in doc_id:
        return doc_id.split("#")[0][:300]
    first = doc["text"].strip().splitlines()[0] if doc["text"].strip() else doc_id
    heading = re.match(r"^#{1,6}\s+(.+?)\s*#*$", first)
    if heading:
        return heading.group(1).strip()[:300]
    words = first.split()
    return " ".join(words[:10])[:300] or doc_id


def half_of(key: str) -> str:
    """'a' or 'b' by the first hex digit of sha1(key): a stable split for tuning and report."""
    return "a" if int(hashlib.sha1(key.encode()).hexdigest()[0], 16) % 2 == 0 else "b"


def dialogue_of(turn: dict) -> str:
    """What keeps a dialogue's turns on one side of a split: doc2dial's dialogue id, else the
    grounding document (OR-ShARC rows carry no id; splitting by document is the stricter)."""
    return turn["id"].rsplit("_", 1)[0] if turn.get("id") else str(turn["label"])


async def import_docs(db: Database, docs: Sequence[dict]) -> dict[int, str]:
    """Every document as a published article; returns article id -> doc_id."""
    embedder = shared_embedder()
    async with db.uow() as session:
        for doc in docs:
            await kb.import_document(
                session,
                source=f"{SOURCE_PREFIX}{doc['doc_id']}",
                title=title_of(doc),
                body=doc["text"],
                actor=SYSTEM,
                embedder=embedder,
            )
    async with db.read() as session:
        rows = await session.execute(
            Article.__table__.select().with_only_columns(Article.id, Article.source)
        )
        return {i: src.removeprefix(SOURCE_PREFIX) for i, src in rows if src}


def ranked_docs(found, doc_of: dict[int, str]) -> list[str]:
    """Distinct documents in the order of their best passage."""
    return list(dict.fromkeys(doc_of[p.article_id] for p in found.passages))


async def run_turns(db: Database, turns: Sequence[dict], doc_of: dict[int, str], *, k: int = 10):
    """(ranked doc ids, milliseconds) per turn, through the bot's retrieval (k=10 passages,
    at most two per article: five articles at least, for recall@5)."""
    out = []
    for turn in turns:
        history = turns_from_lines(turn.get("history") or [])
        started = time.perf_counter()
        found = await retrieve(db, turn["text"], history=history, k=k)
        out.append((ranked_docs(found, doc_of), (time.perf_counter() - started) * 1000))
    return out


def score(turns: Sequence[dict], results) -> dict:
    n = len(turns)
    at1 = sum(bool(r) and r[0] == t["label"] for t, (r, _) in zip(turns, results, strict=True))
    at5 = sum(t["label"] in r[:5] for t, (r, _) in zip(turns, results, strict=True))
    mrr = sum(
        1 / (r.index(t["label"]) + 1) if t["label"] in r[:5] else 0.0
        for t, (r, _) in zip(turns, results, strict=True)
    )
    millis = [ms for _, ms in results] or [0.0]
    p50, p99 = np.percentile(millis, [50, 99])
    return {
        "n": n,
        "recall_at_1": round(at1 / max(n, 1), 4),
        "recall_at_5": round(at5 / max(n, 1), 4),
        "mrr_at_5": round(mrr / max(n, 1), 4),
        "p50_ms": round(float(p50), 2),
        "p99_ms": round(float(p99), 2),
    }


async def evaluate(docs_path, test_path, *, data_dir=None, limit=None, half=None) -> dict:
    docs, turns = load_jsonl(docs_path), load_jsonl(test_path)
    if half:
        turns = [t for t in turns if half_of(dialogue_of(t)) == half]
    turns = turns[:limit] if limit else turns
    with tempfile.TemporaryDirectory(prefix="autocrm-eval-kb-") as tmp:
        path = Path(data_dir or tmp) / "kb.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(db.engine)
            started = time.perf_counter()
            doc_of = await import_docs(db, docs)
            print(
                f"imported {len(docs)} documents: {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            await retrieve(db, "warm up", k=8)  # loads the index and the model: not a turn's cost
            results = await run_turns(db, turns, doc_of)
        finally:
            await db.dispose()
    return score(turns, results)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="autocrm eval kb", description=__doc__.splitlines()[0])
    p.add_argument("--docs", required=True, help="JSONL of {doc_id, text[, title]}")
    p.add_argument("--test", required=True, help="JSONL of {text, label, history}")
    p.add_argument("--limit", type=int, default=None, help="only the first N turns")
    p.add_argument(
        "--half",
        choices=("a", "b"),
        default=None,
        help="only one half of the turns (sha1 of the dialogue, else the document)",
    )
    p.add_argument("--data-dir", default=None, help="keep the knowledge base here")
    args = p.parse_args(argv)
    result = asyncio.run(
        evaluate(args.docs, args.test, data_dir=args.data_dir, limit=args.limit, half=args.half)
    )
    print(f"docs={args.docs} test={args.test}", file=sys.stderr)
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
