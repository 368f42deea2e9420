"""Benchmark: how well `store.knowledge.scrub` finds customer specifics in agents' replies.

Run: python -m bench.scrub [FIXTURES.jsonl]. Reads hand-written replies with their gold
specifics (tests/agent/fixtures/scrub_replies.jsonl: {"text", "spans": [{"kind", "text"}]})
and prints span precision and recall (a found span counts when it overlaps a gold one),
the share of gold spans covered whole, the kind accuracy, and the misses, JSON line last.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from store.knowledge.scrub import detect

FIXTURES = Path(__file__).parent.parent / "tests/agent/fixtures/scrub_replies.jsonl"


def _gold(row: dict) -> list[tuple[int, int, str]]:
    spans, taken = [], set()
    for span in row["spans"]:
        start = row["text"].find(span["text"])
        while start in taken:
            start = row["text"].find(span["text"], start + 1)
        taken.add(start)
        spans.append((start, start + len(span["text"]), span["kind"]))
    return spans


def _overlaps(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(rows: list[dict]) -> dict:
    found_n = hit_found = gold_n = hit_gold = whole = kind_ok = 0
    misses, extras = [], []
    for row in rows:
        gold, found = _gold(row), detect(row["text"])
        found_n, gold_n = found_n + len(found), gold_n + len(gold)
        for f in found:
            if any(_overlaps(f, g) for g in gold):
                hit_found += 1
            else:
                extras.append(row["text"][f[0] : f[1]])
        for g in gold:
            over = [f for f in found if _overlaps(f, g)]
            if not over:
                misses.append(row["text"][g[0] : g[1]])
                continue
            hit_gold += 1
            whole += min(f[0] for f in over) <= g[0] and max(f[1] for f in over) >= g[1]
            kind_ok += any(f[2] == g[2] for f in over)
    return {
        "replies": len(rows),
        "gold_spans": gold_n,
        "found_spans": found_n,
        "precision": round(hit_found / max(found_n, 1), 4),
        "recall": round(hit_gold / max(gold_n, 1), 4),
        "covered_whole": round(whole / max(gold_n, 1), 4),
        "kind_accuracy": round(kind_ok / max(hit_gold, 1), 4),
        "misses": misses,
        "false_positives": extras,
    }


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    print(json.dumps(score(rows), ensure_ascii=False))


if __name__ == "__main__":
    main()
