"""`autocrm eval intents|kb|learning ...`: each handed whole to its evaluation harness
(agent_graph.eval, agent_graph.eval_kb, agent_graph.learning_eval), which owns its options and
output."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

HARNESSES = ("intents", "kb", "learning")


def is_eval(argv: Sequence[str]) -> bool:
    return len(argv) >= 2 and argv[0] == "eval" and argv[1] in HARNESSES


def run_eval(argv: Sequence[str]) -> int:
    if argv[1] == "kb":
        return run_eval_kb(argv)
    if argv[1] == "learning":
        return run_eval_learning(argv)
    from agent_graph.eval import main as eval_main

    return eval_main(list(argv[2:])) or 0


def run_eval_kb(argv: Sequence[str]) -> int:
    """Knowledge retrieval recall on an isolated knowledge base (agent_graph.eval_kb)."""
    from agent_graph.eval_kb import main as eval_kb_main

    return eval_kb_main(list(argv[2:])) or 0


def run_eval_learning(argv: Sequence[str]) -> int:
    """The learning curve on intents unseen at start (agent_graph.learning_eval)."""
    from agent_graph.learning_eval import main as learning_main

    return learning_main(list(argv[2:])) or 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    # Listed for --help only: `main` hands `eval intents|kb` over before argparse sees it.
    sub.add_parser(
        "eval",
        help="eval intents --train TRAIN.jsonl --test TEST.jsonl [--calibrate K] | "
        "eval kb --docs DOCS.jsonl --test TEST.jsonl | eval learning --dataset DIR",
    )
