"""`autocrm eval intents ...`: handed whole to the evaluation harness, which owns its options."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def is_eval(argv: Sequence[str]) -> bool:
    return list(argv[:2]) == ["eval", "intents"]


def run_eval(argv: Sequence[str]) -> int:
    from agent_graph.eval import main as eval_main

    return eval_main(list(argv[2:])) or 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    # Listed for --help only: `main` hands `eval intents` over before argparse sees it.
    sub.add_parser("eval", help="eval intents --train TRAIN.jsonl --test TEST.jsonl")
