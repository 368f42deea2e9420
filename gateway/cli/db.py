"""`autocrm db upgrade`: migrate the configured database to the newest schema."""

from __future__ import annotations

import argparse
import asyncio

from gateway.cli.base import database
from store.migrate import pending, upgrade


def db_upgrade(args: argparse.Namespace) -> int:
    async def run():
        async with database(migrated=False) as db:
            await upgrade(db.engine)
            return await pending(db.engine)

    current, _ = asyncio.run(run())
    print(f"database at revision {current}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="the database schema").add_subparsers(dest="sub", required=True)
    db.add_parser("upgrade", help="migrate the database to the newest schema").set_defaults(
        run=db_upgrade
    )
