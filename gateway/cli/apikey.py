"""`autocrm apikey create`: a scoped API key, printed once."""

from __future__ import annotations

import argparse

from gateway.cli.base import in_session
from store.staff import service as staff


def apikey_create(args: argparse.Namespace) -> int:
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]

    async def run(session):
        _, plain = await staff.create_api_key(session, name=args.name, scopes=scopes)
        return plain

    plain = in_session(run)
    print(f"API key {args.name!r} (scopes {', '.join(scopes)}); it is shown only once:")
    print(plain)  # the key alone on the last line, for scripts
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    key = sub.add_parser("apikey", help="API keys").add_subparsers(dest="sub", required=True)
    p = key.add_parser("create", help="a new key with the given scopes")
    p.add_argument("--name", required=True)
    p.add_argument("--scopes", required=True, help="comma-separated, e.g. tickets:read,admin")
    p.set_defaults(run=apikey_create)
