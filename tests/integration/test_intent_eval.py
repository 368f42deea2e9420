"""The intent harness end to end on a CLINC150 subset: real ONNX embeddings, real decide path."""

import json
from pathlib import Path

import pytest

from agent_graph.eval import main, run_intent_eval

EVAL = Path(__file__).resolve().parents[2] / "../shared/eval"
CLINC = EVAL / "clinc150"

pytestmark = [
    pytest.mark.eval_data,
    pytest.mark.skipif(not CLINC.is_dir(), reason=f"eval data not found at {EVAL.resolve()}"),
]


def test_subset_resolves_in_scope_and_escalates_oos(tmp_path):
    result = run_intent_eval(
        CLINC / "train.jsonl",
        CLINC / "test_dev.jsonl",
        cache_dir=tmp_path,
        max_labels=20,
        max_train_per_label=40,
    )
    assert result["n_labels"] == 20 and result["n_train"] == 800
    assert result["answered"] + result["clarified"] + result["escalated"] == result["n_test"]
    # A broken embedder, feature set or label mapping drops these far below.
    assert result["precision"] > 0.9
    assert result["auto_resolution_rate"] > 0.7
    assert result["oos_escalation_recall"] > 0.8


def test_calibrated_threshold_is_chosen_on_train_folds_and_reported_with_an_interval(tmp_path):
    result = run_intent_eval(
        CLINC / "train.jsonl",
        CLINC / "test_dev.jsonl",
        cache_dir=tmp_path,
        max_labels=10,
        max_train_per_label=30,
        calibrate=3,
        target_precision=0.99,
        sweep_cuts=(0.3, 0.99),
    )
    cal = result["calibration"]
    assert cal["folds"] == 3 and cal["target_precision"] == 0.99
    # The threshold the test ran with is the one the folds chose, and on the folds it held.
    assert result["answer_probability"] == cal["answer_probability"]
    assert cal["fold_precision"] >= 0.99 or cal["answer_probability"] == 0.99
    low, high = result["precision_ci95"]
    assert low <= result["precision"] <= high
    assert result["auto_resolution_ci95"][0] <= result["auto_resolution_rate"]
    assert result["precision"] > 0.9
    # Replaying the decisions at other thresholds: stricter answers less, never more.
    loose, strict = result["sweep"]
    assert strict["auto_resolution_rate"] <= loose["auto_resolution_rate"]
    assert strict["oos_escalation_recall"] >= loose["oos_escalation_recall"]


def test_cli_prints_one_json_line_last(tmp_path, capsys):
    small = tmp_path / "train.jsonl"
    rows = [json.loads(x) for x in (CLINC / "train.jsonl").read_text().splitlines()]
    picked = [
        r
        for lab in ("balance", "weather", "timer")
        for r in [x for x in rows if x["label"] == lab][:30]
    ]
    small.write_text("\n".join(json.dumps(r) for r in picked))
    args = ["--train", str(small), "--test", str(CLINC / "val.jsonl"), "--cache-dir", str(tmp_path)]
    assert main(args) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert result["n_labels"] == 3
    assert {"auto_resolution_rate", "precision", "oos_escalation_recall", "p99_ms"} <= set(result)
    assert len(result["precision_ci95"]) == 2  # the bootstrap 95 % interval
    assert result["precision"] > 0.9


def test_adding_examples_of_a_new_label_makes_it_answerable(tmp_path):
    from agent_graph.decision import decide
    from agent_graph.embeddings import default_embedder
    from agent_graph.intent_model import Example, IntentModel

    rows = [json.loads(x) for x in (CLINC / "train.jsonl").read_text().splitlines()]
    by_label = {lab: [r for r in rows if r["label"] == lab][:20] for lab in ("balance", "timer")}
    model = IntentModel(default_embedder(tmp_path))
    model.fit(
        [
            Example(f"{r['label']}-{i}", r["text"], r["label"])
            for rs in by_label.values()
            for i, r in enumerate(rs)
        ]
    )
    query = "what's the weather like in boston tomorrow"
    assert decide(model.predict([query])[0]).label != "weather"
    weather = [r for r in rows if r["label"] == "weather"][:20]
    model.add([Example(f"w-{i}", r["text"], r["label"]) for i, r in enumerate(weather)])
    assert model.labels == ["balance", "timer", "weather"]
    assert decide(model.predict([query])[0]).label == "weather"
    model.remove([f"w-{i}" for i in range(20)])
    assert model.labels == ["balance", "timer"]
