"""`autocrm demo`: seed a small organisation to click through (gateway.demo says what)."""

from __future__ import annotations

import argparse

from gateway.cli.base import in_session


def demo(args: argparse.Namespace) -> int:
    from gateway.demo import seed  # here, so other commands start without its imports

    for line in in_session(seed):
        print(line)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("demo", help="seed a small demo organisation").set_defaults(run=demo)
