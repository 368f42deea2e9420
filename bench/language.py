"""Benchmark: language detection on English dev questions (CLINC150 + Banking77 test_dev, must
stay English) and the translated probe (tests/fixtures/multilingual), per rule; and its speed.

Run: python -m bench.language. Prints, per English-confidence cut, the share of English
questions taken for another language and the probe's accuracy per language.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from agent_graph.eval import load_jsonl
from agent_graph.language import LANGUAGES, detect_language, language_scores

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "../shared/eval"
PROBE = ROOT / "tests/fixtures/multilingual/intent_probe_dev.jsonl"
PROBE_LANGUAGES = ("es", "fr", "de", "pt")


def main() -> None:
    english = [
        r["text"]
        for name in ("clinc150", "banking77")
        if (EVAL / name / "test_dev.jsonl").exists()
        for r in load_jsonl(EVAL / name / "test_dev.jsonl")
    ]
    probe = load_jsonl(PROBE)
    foreign = [(lang, row[lang]) for row in probe for lang in PROBE_LANGUAGES]
    language_scores("warm up: loads the language models")
    started = time.perf_counter()
    english_scores = [language_scores(t) for t in english]
    foreign_scores = [language_scores(t) for _, t in foreign]
    n = len(english) + len(foreign)
    per_text = 1000 * (time.perf_counter() - started) / n
    print(f"lingua ({len(LANGUAGES)} languages): {per_text:.2f} ms/text")
    for cut in (0.05, 0.1, 0.2, 0.3):
        wrong_en = np.mean([s.get("en", 0) < cut and next(iter(s)) != "en" for s in english_scores])
        per = {}
        for lang in PROBE_LANGUAGES:
            got = [
                next(iter(s)) == lang and s.get("en", 0) < cut
                for (lg, _), s in zip(foreign, foreign_scores, strict=True)
                if lg == lang
            ]
            per[lang] = round(float(np.mean(got)), 3)
        print(f"english below {cut}: english taken for other {wrong_en:.4f}; probe {per}")
    got = {lang: [] for lang in PROBE_LANGUAGES}
    for lang, text in foreign:
        got[lang].append(detect_language(text) == lang)
    share = np.mean([detect_language(t) != "en" for t in english])
    print(
        "detect_language: english kept "
        f"{1 - share:.4f} of {len(english)}; probe "
        + json.dumps({k: round(float(np.mean(v)), 3) for k, v in got.items()})
    )


if __name__ == "__main__":
    main()
