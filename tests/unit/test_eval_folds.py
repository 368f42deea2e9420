"""Cross-validation splits for tuning on training data alone."""

import pytest

from agent_graph.eval import fold_splits, run_intent_eval


def test_each_row_is_held_out_once_and_every_fold_keeps_every_label():
    rows = [{"text": f"{lab} {i}", "label": lab} for lab in ("a", "b") for i in range(10)]
    splits = fold_splits(rows, 5)
    held = [r["text"] for _, test in splits for r in test]
    assert sorted(held) == sorted(r["text"] for r in rows)
    for train, test in splits:
        assert {r["label"] for r in test} == {"a", "b"} and len(train) + len(test) == 20
    assert fold_splits(rows, 5) == splits


def test_a_test_file_or_folds_but_not_both(tmp_path):
    with pytest.raises(ValueError, match="either"):
        run_intent_eval(tmp_path / "train.jsonl", tmp_path / "test.jsonl", folds=5)
