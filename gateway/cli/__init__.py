"""`autocrm` command line: assembles one parser from the command modules and runs a command.

serve.py (serve, worker), db.py, user.py, apikey.py, demo.py, mailbox.py, kb.py (kb and
examples import), evaluation.py; what they share is in base.py, which imports none of them.
"""

from __future__ import annotations

import argparse
import logging
import sys

from gateway.cli import apikey, db, demo, evaluation, kb, mailbox, serve, user
from gateway.cli.base import CommandError

GROUPS = (serve, db, user, apikey, demo, mailbox, kb, evaluation)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autocrm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for group in GROUPS:
        group.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from store.errors import DomainError

    argv = sys.argv[1:] if argv is None else argv
    if evaluation.is_eval(argv):  # the harness owns its options and output format
        return evaluation.run_eval(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    if not hasattr(args, "run"):  # `autocrm eval` without `intents`
        build_parser().error(f"{args.cmd}: see `autocrm {args.cmd} --help`")
    try:
        return args.run(args)
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


__all__ = ["build_parser", "main"]
