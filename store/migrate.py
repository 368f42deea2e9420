"""Schema migrations (Alembic): upgrade to head, and check whether a database is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# Search structures the migrations create beside the models (the SQLite FTS5 table and its
# shadow tables, a PostgreSQL expression index): model comparison must leave them alone.
UNMODELLED_PREFIXES = ("kb_chunks_fts",)


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic `include_name` hook: skip the names above when comparing with the models."""
    return not (name or "").startswith(UNMODELLED_PREFIXES)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the database to the newest revision (runs on the given engine's connection)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))

    def _run(connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(_run)


async def pending(engine: AsyncEngine) -> tuple[str | None, str]:
    """(current revision, head revision) of the database."""
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()

    def _current(connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        current = await conn.run_sync(_current)
    return current, head


class NotMigrated(RuntimeError):
    """A server database behind this version's schema: `autocrm db upgrade` must run first."""


async def prepare(db) -> None:
    """SQLite (embedded run) migrates itself; a server database must be migrated on purpose."""
    if db.is_sqlite:
        await upgrade(db.engine)
        return
    current, head = await pending(db.engine)
    if current != head:
        raise NotMigrated(
            f"the database is at revision {current or 'none'} but this version needs {head}; "
            "run `autocrm db upgrade` first"
        )
