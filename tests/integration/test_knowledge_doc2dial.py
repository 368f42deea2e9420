"""Retrieval quality through `autocrm eval kb` (agent_graph.eval_kb) on small slices of the dev
sets: doc2dial (government help pages; opening questions and later turns with their history)
and OR-ShARC (rule snippets; scenario + question with the follow-ups so far). The full numbers
are in bench/kb_tune.py's docstring; these floors leave room for noise, not for a broken
chunker, index, conversation query or fusion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_graph.eval_kb import evaluate, main

EVAL = Path(__file__).resolve().parents[2] / "../shared/eval"
DOC2DIAL, OR_SHARC = EVAL / "doc2dial", EVAL / "or_sharc"

pytestmark = [
    pytest.mark.eval_data,
    pytest.mark.skipif(not DOC2DIAL.is_dir(), reason=f"eval data not found at {DOC2DIAL}"),
    pytest.mark.skipif(not OR_SHARC.is_dir(), reason=f"eval data not found at {OR_SHARC}"),
]


async def test_doc2dial_turns_find_their_document_with_the_conversation():
    # The first 200 dev turns: ~35 opening questions, the rest later turns with their history.
    result = await evaluate(DOC2DIAL / "docs.jsonl", DOC2DIAL / "val_dev.jsonl", limit=200)
    assert result["n"] == 200
    assert result["recall_at_5"] >= 0.8 and result["recall_at_1"] >= 0.5
    assert result["recall_at_1"] <= result["mrr_at_5"] <= result["recall_at_5"]


async def test_or_sharc_puts_the_rule_snippet_first():
    result = await evaluate(OR_SHARC / "docs.jsonl", OR_SHARC / "turns_dev.jsonl", limit=200)
    assert result["recall_at_1"] >= 0.7 and result["recall_at_5"] >= 0.88


def test_the_command_prints_one_json_line_last(tmp_path, capsys):
    docs = tmp_path / "docs.jsonl"
    test = tmp_path / "test.jsonl"
    rows = json.loads((OR_SHARC / "docs.jsonl").read_text().splitlines()[0])
    docs.write_text(
        "\n".join(
            json.dumps(d)
            for d in [
                rows,
                {"doc_id": "pets", "text": "# Pets\n\nDogs must be on a lead in the park."},
            ]
        )
    )
    turns = [
        {"text": "Do dogs need a lead?", "label": "pets", "history": []},
        {"text": "and in the park?", "label": "pets", "history": ["user:I have a dog"]},
    ]
    test.write_text("\n".join(json.dumps(t) for t in turns))
    assert main(["--docs", str(docs), "--test", str(test)]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(last) >= {"recall_at_1", "recall_at_5", "p50_ms", "p99_ms"}
    assert last["n"] == 2 and last["recall_at_5"] == 1.0
