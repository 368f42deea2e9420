"""Benchmark: the translated intent probe (tests/fixtures/multilingual/intent_probe_dev.jsonl)
per language, through the path production takes for that language.

Run: python -m bench.multilingual [--cache-dir DIR] [--grid]. For each dataset (Banking77,
CLINC150) the approved examples are its TRAIN file; every probe question (es, fr, de, pt, and
the English original) is routed by `detect_language`: English through the English classifier
(IntentModel + decide with the default thresholds), others through the multilingual encoder's
neighbour vote (agent_graph.multilingual + decide with the multilingual thresholds). Prints per
language: precision, auto-resolution (in-scope questions answered right), off-topic questions
escalated (or clarified), and the same questions through the English path alone for contrast.
Also the multilingual encoder's throughput. `--grid` prints precision/auto over thresholds.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from agent_graph.decision import decide
from agent_graph.embeddings import CachedEmbedder, MultilingualUSE, OnnxMiniLM
from agent_graph.eval import OOS, default_cache_dir, load_jsonl
from agent_graph.intent_model import Example, IntentModel
from agent_graph.language import detect_language
from agent_graph.multilingual import NeighbourLabels
from store.agent.thresholds import BotThresholds

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "../shared/eval"
PROBE = ROOT / "tests/fixtures/multilingual/intent_probe_dev.jsonl"
LANGUAGES = ("en", "es", "fr", "de", "pt")


def _metrics(rows: list[tuple[str, str, str | None]]) -> dict:
    answered = [r for r in rows if r[1] == "answer"]
    right = [r for r in answered if r[2] == r[0]]
    in_scope = [r for r in rows if r[0] != OOS]
    oos = [r for r in rows if r[0] == OOS]
    return {
        "n": len(rows),
        "precision": round(len(right) / max(len(answered), 1), 3),
        "auto": round(len(right) / max(len(in_scope), 1), 3),
        "oos_escalated": round(sum(r[1] != "answer" for r in oos) / max(len(oos), 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    if args.cache_dir:
        os.environ["AUTOCRM_CACHE_DIR"] = args.cache_dir
    english = CachedEmbedder(OnnxMiniLM(), cache)
    multi = CachedEmbedder(MultilingualUSE(), cache)
    thresholds = BotThresholds()
    probe = load_jsonl(PROBE)
    routed: dict[str, list] = {lang: [] for lang in LANGUAGES}
    english_only: dict[str, list] = {lang: [] for lang in LANGUAGES}
    raw: list[tuple[str, str, list]] = []  # (language, gold, multilingual scores) for --grid
    for name in ("banking77", "clinc150"):
        train = load_jsonl(EVAL / name / "train.jsonl")
        rows = [r for r in probe if r["dataset"] == name]
        started = time.perf_counter()
        vectors = multi.embed([r["text"] for r in train])
        took = time.perf_counter() - started
        print(f"{name}: multilingual vectors of {len(train)} examples: {took:.1f} s")
        labels = NeighbourLabels()
        labels.fit(list(range(len(train))), [r["label"] for r in train], vectors)
        model = IntentModel(english)
        model.fit([Example(i, r["text"], r["label"]) for i, r in enumerate(train)])
        for row in rows:
            for lang in LANGUAGES:
                text = row[lang]
                eng = decide(model.predict([text])[0], (), thresholds)
                english_only[lang].append((row["label"], eng.action, eng.label))
                if detect_language(text) == "en":
                    d = eng
                else:
                    scores = labels.scores(multi.embed([text])[0])
                    d = decide(scores, (), thresholds.multilingual())
                    raw.append((lang, row["label"], scores))
                routed[lang].append((row["label"], d.action, d.label))
    for lang in LANGUAGES:
        print(
            f"{lang}: routed {_metrics(routed[lang])}  english path alone "
            f"{_metrics(english_only[lang])}"
        )
    every = [r for lang in LANGUAGES[1:] for r in routed[lang]]
    print(f"es+fr+de+pt routed: {_metrics(every)}")
    _throughput()
    if args.grid:
        _grid(raw)


def _throughput() -> None:
    texts = [r["text"] for r in load_jsonl(EVAL / "banking77/test_dev.jsonl")][:500]
    model = MultilingualUSE()
    model.embed(["warm up"])
    started = time.perf_counter()
    model.embed(texts)
    batch = len(texts) / (time.perf_counter() - started)
    millis = []
    for text in texts[:200]:
        t0 = time.perf_counter()
        model.embed([text])
        millis.append((time.perf_counter() - t0) * 1000)
    p50, p99 = np.percentile(millis, [50, 99])
    print(
        f"multilingual encoder: {batch:.0f} texts/s in batches; "
        f"one question p50 {p50:.1f} ms p99 {p99:.1f} ms"
    )


def _grid(raw: list) -> None:
    for p in (0.5, 0.6, 0.7, 0.8, 0.9):
        for s in (0.45, 0.5, 0.55, 0.6, 0.65):
            t = BotThresholds(answer_probability=p, answer_similarity=s)
            rows = [(gold, *_act(decide(sc, (), t))) for _, gold, sc in raw]
            print(f"p>={p} sim>={s}: {_metrics(rows)}")


def _act(d) -> tuple[str, str | None]:
    return d.action, d.label


if __name__ == "__main__":
    main()
