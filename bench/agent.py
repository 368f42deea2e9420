"""Benchmark: retrieval-mode decisions over 10,000 examples, and vector top-k over 50,000 chunks.

Run: python -m bench.agent [--cache-dir DIR]. Uses Banking77's train split (10,003 examples)
from ../shared/eval when present, else synthetic sentences.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from agent_graph.decision import decide
from agent_graph.embeddings import CachedEmbedder, OnnxMiniLM
from agent_graph.intent_model import Example, IntentModel
from agent_graph.vector_index import VectorIndex

EVAL = Path(__file__).resolve().parents[1] / "../shared/eval/banking77"


def _examples(n: int) -> tuple[list[Example], list[str]]:
    path = EVAL / "train.jsonl"
    if path.exists():
        rows = [json.loads(x) for x in path.read_text().splitlines()][:n]
        test = (EVAL / "test_dev.jsonl").read_text().splitlines()
        queries = [json.loads(x)["text"] for x in test]
    else:  # synthetic: 50 labels of templated sentences
        rows = [
            {"text": f"question {i} about topic {i % 50}", "label": f"t{i % 50}"} for i in range(n)
        ]
        queries = [f"another question about topic {i % 50}" for i in range(1000)]
    return [Example(i, r["text"], r["label"]) for i, r in enumerate(rows)], queries[:1000]


def _pcts(millis: list[float]) -> str:
    p50, p99 = np.percentile(millis, [50, 99])
    return f"p50 {p50:.2f} ms  p99 {p99:.2f} ms  ({1000 / np.mean(millis):.0f}/s)"


def bench_decisions(cache_dir: str) -> None:
    raw = OnnxMiniLM()
    examples, queries = _examples(10_000)
    model = IntentModel(CachedEmbedder(raw, cache_dir))
    started = time.perf_counter()
    model.embedder.embed([e.text for e in examples])
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
    print(f"decision incl. embedding, {len(queries)} queries: {_pcts(total)}")
    print(f"decision excl. embedding: {_pcts(model_only)}")


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
    parser.add_argument("--cache-dir", default="/tmp/autocrm-bench-cache")
    args = parser.parse_args()
    bench_retrieval()
    bench_decisions(args.cache_dir)


if __name__ == "__main__":
    main()
