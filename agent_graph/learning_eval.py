"""`autocrm eval learning`: how fast the bot learns intents it has never seen from approved
resolutions. Some intents are held out of the starting examples; each then gets N approved
resolutions (through the same scrub-and-generalise path a human's answer takes, and added to
the classifier incrementally as the live index does), N = 1, 3, 10. After each step every dev
question runs through the production `decide`; reported for the learned intents (auto-
resolution = answered right / asked, precision = right / answered, and the precision of the
answers given from a learned intent to any question) and for all dev questions.

    autocrm eval learning --dataset ../shared/eval/banking77 --unseen 10
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from agent_graph.decision import decide
from agent_graph.embeddings import CachedEmbedder, OnnxMiniLM
from agent_graph.eval import OOS, default_cache_dir, load_jsonl
from agent_graph.intent_model import Example, IntentModel
from store.agent.thresholds import BotThresholds
from store.knowledge.embedder import Embedder
from store.knowledge.scrub import generalise_question

STEPS = (1, 3, 10)


def split_intents(labels: Sequence[str], unseen: int, seed: int) -> set[str]:
    pool = sorted(set(labels) - {OOS})
    return set(random.Random(seed).sample(pool, min(unseen, len(pool))))


def _score(rows: list[tuple[str, str, str | None]]) -> dict:
    """rows: (gold, action, answered label)."""
    in_scope = [r for r in rows if r[0] != OOS]
    answered = [r for r in rows if r[1] == "answer"]
    right = [r for r in answered if r[2] == r[0]]
    return {
        "n": len(rows),
        "auto_resolution": round(len(right) / max(len(in_scope), 1), 4),
        "precision": round(len(right) / max(len(answered), 1), 4) if answered else None,
    }


def _run(model: IntentModel, embedder: Embedder, test: list[dict], thresholds) -> list[tuple]:
    vectors = embedder.embed([r["text"] for r in test])
    scores = model.predict([r["text"] for r in test], vectors=vectors)
    out = []
    for row, s in zip(test, scores, strict=True):
        d = decide(s, (), thresholds)
        out.append((row["label"], d.action, d.label))
    return out


def learning_curve(
    train: list[dict],
    test: list[dict],
    *,
    embedder: Embedder,
    unseen: int = 10,
    seed: int = 17,
    steps: Sequence[int] = STEPS,
    thresholds: BotThresholds | None = None,
) -> dict:
    held = split_intents([r["label"] for r in train], unseen, seed)
    base = [r for r in train if r["label"] not in held]
    learned_test = [r for r in test if r["label"] in held]
    embedder.embed([r["text"] for r in train])  # warm the cache once: fits embed nothing new
    model = IntentModel(embedder)
    started = time.perf_counter()
    model.fit([Example(f"t{i}", r["text"], r["label"]) for i, r in enumerate(base)])
    fit_s = time.perf_counter() - started
    by_label: dict[str, list[dict]] = {}
    for row in train:
        if row["label"] in held:
            by_label.setdefault(row["label"], []).append(row)
    curve = {"0": _curve_point(model, embedder, learned_test, test, thresholds)}
    have = 0
    for n in steps:
        new = [
            # what an approved draft keeps: the generalised question, the label
            Example(f"a{label}{i}", generalise_question(r["text"]).text or r["text"], label)
            for label, rows in by_label.items()
            for i, r in enumerate(rows[have:n], start=have)
        ]
        embedder.embed([e.text for e in new])
        model.add(new)
        have = n
        curve[str(n)] = _curve_point(model, embedder, learned_test, test, thresholds)
    return {
        "unseen_intents": sorted(held),
        "n_base_examples": len(base),
        "n_learned_test": len(learned_test),
        "n_test": len(test),
        "base_fit_s": round(fit_s, 2),
        "curve": curve,
    }


def _curve_point(model, embedder, learned_test, test, thresholds) -> dict:
    rows = _run(model, embedder, test, thresholds)
    held = {t["label"] for t in learned_test}
    learned = [r for r in rows if r[0] in held]
    # Answers given FROM a learned intent, whatever was asked: how safe the new answers are.
    given = [r for r in rows if r[1] == "answer" and r[2] in held]
    right = sum(r[2] == r[0] for r in given)
    out = {"learned": _score(learned), "all": _score(rows)}
    out["learned"]["answers_from_learned"] = len(given)
    out["learned"]["precision_of_learned_answers"] = round(right / len(given), 4) if given else None
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """`autocrm eval learning --dataset DIR [--unseen 10]`: prints one JSON line last."""
    p = argparse.ArgumentParser(prog="autocrm eval learning", description=main.__doc__)
    p.add_argument("--dataset", required=True, help="folder with train.jsonl and test_dev.jsonl")
    p.add_argument("--train", default=None, help="JSONL of {text, label} (default DIR/train)")
    p.add_argument("--test", default=None, help="JSONL of {text, label} (default DIR/test_dev)")
    p.add_argument("--unseen", type=int, default=10, help="intents held out at the start")
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--max-test", type=int, default=None, help="evaluate the first N dev rows")
    p.add_argument("--cache-dir", default=None)
    args = p.parse_args(argv)
    folder = Path(args.dataset)
    train = load_jsonl(args.train or folder / "train.jsonl")
    test = load_jsonl(args.test or folder / "test_dev.jsonl")[: args.max_test]
    embedder = CachedEmbedder(OnnxMiniLM(), args.cache_dir or default_cache_dir())
    result = learning_curve(train, test, embedder=embedder, unseen=args.unseen, seed=args.seed)
    result = {"dataset": folder.name} | result
    print(f"dataset={folder} unseen={args.unseen}", file=sys.stderr)
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
