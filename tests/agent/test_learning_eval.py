"""`autocrm eval learning` on a small Banking77 slice: intents unseen at start are answered
after approved resolutions teach them, and the command prints its curve as one JSON line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main as cli_main

BANKING77 = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "banking77"
pytestmark = pytest.mark.eval_data


def _slice(path: Path, labels: int, per_label: int) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    keep = sorted({r["label"] for r in rows})[:labels]
    seen: dict[str, int] = {}
    out = []
    for r in rows:
        if r["label"] in keep and seen.get(r["label"], 0) < per_label:
            seen[r["label"]] = seen.get(r["label"], 0) + 1
            out.append(r)
    return out


def test_unseen_intents_are_learned_from_approved_resolutions(tmp_path, capsys):
    for name, per_label in (("train.jsonl", 25), ("test_dev.jsonl", 10)):
        rows = _slice(BANKING77 / name, labels=12, per_label=per_label)
        (tmp_path / name).write_text("\n".join(json.dumps(r) for r in rows))
    assert cli_main(["eval", "learning", "--dataset", str(tmp_path), "--unseen", "3"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    curve = result["curve"]
    assert list(curve) == ["0", "1", "3", "10"] and len(result["unseen_intents"]) == 3
    assert curve["0"]["learned"]["auto_resolution"] == 0.0  # never seen: never answered right
    assert curve["10"]["learned"]["auto_resolution"] > curve["1"]["learned"]["auto_resolution"]
    assert curve["10"]["all"]["auto_resolution"] > curve["0"]["all"]["auto_resolution"]
