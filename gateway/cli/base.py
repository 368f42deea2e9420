"""What every `autocrm` command shares: the data directory, the database, one unit of work.

Command modules import this one; it imports none of them, so the package has no circle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url

from gateway.settings import Settings, get_settings
from store import files
from store.actor import Actor
from store.db import Database
from store.migrate import pending, upgrade

CLI_ACTOR = Actor("system", None, "autocrm cli")
T = TypeVar("T")


class CommandError(Exception):
    """A failure the user can fix; `main` prints it without a traceback and exits 1."""


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory, and a SQLite file's own folder if it lies elsewhere:
    the embedded default must work from a fresh, empty directory."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = make_url(settings.db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    files.configure(settings.attachments_dir)


async def _ready(db: Database) -> None:
    # As `autocrm serve` does (gateway.app.prepare_database), without importing the whole app
    # (seconds per command): SQLite migrates itself, a server database is migrated on purpose.
    if db.is_sqlite:
        await upgrade(db.engine)
        return
    current, head = await pending(db.engine)
    if current != head:
        raise CommandError(
            f"the database is at revision {current or 'none'} but this version needs {head}; "
            "run `autocrm db upgrade` first"
        )


@asynccontextmanager
async def database(*, migrated: bool = True) -> AsyncIterator[Database]:
    """The configured database, its data directory created; `migrated`: at the newest schema."""
    settings = get_settings()
    prepare_data_dir(settings)
    db = Database(settings.db_url)
    try:
        if migrated:
            await _ready(db)
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
