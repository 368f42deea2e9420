"""Migrations from an empty database to head on both engines, matching the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import store.models  # noqa: F401  (registers every table on Base.metadata)
from store.db import Base, Database
from store.migrate import NotMigrated, include_name, pending, upgrade
from tests.gateway_fixtures import make_settings, running_app
from tests.servers.postgres import create_database_async


def _differences(connection) -> list:
    opts = {"compare_type": True, "include_name": include_name}  # skips the FTS structures
    context = MigrationContext.configure(connection, opts=opts)
    return compare_metadata(context, Base.metadata)


def _tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names())


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_db(request, tmp_path, pg_server):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    else:
        url = (await create_database_async(pg_server)).replace(
            "postgresql://", "postgresql+asyncpg://"
        )
    db = Database(url)
    yield db
    await db.dispose()


async def test_upgrade_from_empty_reaches_head_and_matches_models(empty_db):
    async with empty_db.engine.connect() as conn:
        assert await conn.run_sync(_tables) == set()
        # The comparison is live: on an empty database it wants every table added.
        diffs = await conn.run_sync(_differences)
        missing = {d[1].name for d in diffs if d[0] == "add_table"}
        assert missing == set(Base.metadata.tables)
    current, head = await pending(empty_db.engine)
    assert current is None and head
    await upgrade(empty_db.engine)
    assert await pending(empty_db.engine) == (head, head)
    async with empty_db.engine.connect() as conn:
        tables = await conn.run_sync(_tables)
        assert set(Base.metadata.tables) <= tables
        assert await conn.run_sync(_differences) == []


async def test_upgrade_twice_is_a_no_op(empty_db):
    await upgrade(empty_db.engine)
    await upgrade(empty_db.engine)
    current, head = await pending(empty_db.engine)
    assert current == head
    async with empty_db.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_gateway_refuses_an_unmigrated_postgres(tmp_path, pg_server):
    url = await create_database_async(pg_server)
    with pytest.raises(NotMigrated) as refused:
        async with running_app(make_settings(tmp_path, url)):
            pass
    assert "autocrm db upgrade" in str(refused.value)
    assert "none" in str(refused.value)  # says where the database is: at no revision yet


async def test_embedded_sqlite_migrates_itself_on_start(tmp_path):
    async with running_app(make_settings(tmp_path, None)) as app:
        current, head = await pending(app.state.db.engine)
        assert current == head
        async with app.state.db.engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
