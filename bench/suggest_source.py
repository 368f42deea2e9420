"""Benchmark: how often the reply suggested to the human is grounded in the article the
human's final reply used. doc2dial stands in for resolved tickets: each agent turn's
grounding document is the article that reply used; the suggestion is drafted exactly as the
assist job drafts it (agent_graph.assist: triage language, retrieval, agent_graph.suggest).

Run: python -m bench.suggest_source [--limit 400] [--test ../shared/eval/doc2dial/val_dev.jsonl]
Prints: share of turns with a suggestion, share whose source is the reply's article (of all
turns, and of those with a suggestion), and p50 drafting time; JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from agent_graph.assist import found_as_state
from agent_graph.eval_kb import import_docs, load_jsonl
from agent_graph.nodes.triage import triage_of
from agent_graph.query import turns_from_lines
from agent_graph.retrieval import retrieve
from agent_graph.suggest import compose
from store.db import Database
from store.migrate import upgrade

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "doc2dial"


async def measure(docs: list[dict], turns: list[dict]) -> dict:
    with tempfile.TemporaryDirectory(prefix="autocrm-bench-suggest-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'kb.db'}")
        try:
            await upgrade(db.engine)
            doc_of = await import_docs(db, docs)
            await retrieve(db, "warm up", k=5)
            rows, millis = [], []
            for turn in turns:
                started = time.perf_counter()
                language = triage_of(turn["text"])["language"]
                history = turns_from_lines(turn.get("history") or [])
                found = await retrieve(db, turn["text"], history=history, locale=language, k=5)
                state = found_as_state(found)
                suggestion = compose(language=language, **state)
                millis.append((time.perf_counter() - started) * 1000)
                source = suggestion.sources[0] if suggestion else None
                doc = doc_of.get(int(source["article_id"])) if source else None
                rows.append((suggestion is not None, doc == turn["label"]))
        finally:
            await db.dispose()
    n, made = len(rows), sum(r[0] for r in rows)
    right = sum(r[1] for r in rows)
    return {
        "turns": n,
        "suggested": round(made / max(n, 1), 4),
        "source_is_replys_article": round(right / max(n, 1), 4),
        "of_suggestions": round(right / max(made, 1), 4),
        "p50_ms": round(float(np.percentile(millis or [0], 50)), 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--docs", default=str(EVAL / "docs.jsonl"))
    p.add_argument("--test", default=str(EVAL / "val_dev.jsonl"))
    p.add_argument("--limit", type=int, default=400)
    args = p.parse_args()
    turns = load_jsonl(args.test)[: args.limit]
    result = asyncio.run(measure(load_jsonl(args.docs), turns))
    print(json.dumps({"test": Path(args.test).name} | result))


if __name__ == "__main__":
    main()
