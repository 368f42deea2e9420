"""What every `autocrm` command shares: the data directory, the database, one unit of work.

Command modules import this one; it imports none of them, so the package has no circle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from gateway.settings import get_settings, prepare_data_dir
from store.actor import Actor
from store.db import Database
from store.migrate import NotMigrated, prepare

CLI_ACTOR = Actor("system", None, "autocrm cli")
T = TypeVar("T")


class CommandError(Exception):
    """A failure the user can fix; `main` prints it without a traceback and exits 1."""


@asynccontextmanager
async def database(*, migrated: bool = True) -> AsyncIterator[Database]:
    """The configured database, its data directory created; `migrated`: at the newest schema."""
    settings = get_settings()
    prepare_data_dir(settings)
    db = Database(settings.db_url)
    try:
        if migrated:
            try:
                await prepare(db)
            except NotMigrated as exc:
                raise CommandError(str(exc)) from exc
        yield db
    finally:
        await db.dispose()


def in_session(fn: Callable[..., Awaitable[T]]) -> T:
    """Run `fn(session)` in one unit of work (committed when it returns) on a ready database."""

    async def run() -> T:
        async with database() as db, db.uow() as session:
            return await fn(session)

    return asyncio.run(run())


def with_database(fn: Callable[[Database], Awaitable[T]]) -> T:
    """Run `fn(db)` on a ready database, for commands that open their own units of work."""

    async def run() -> T:
        async with database() as db:
            return await fn(db)

    return asyncio.run(run())
