"""A running gateway app (lifespan entered) on SQLite or PostgreSQL, and API helpers."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import text

from gateway.app import create_app
from gateway.settings import Settings
from store.db import Base
from store.staff import service as staff
from tests.servers.postgres import create_database_async


@asynccontextmanager
async def running_app(settings: Settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def make_settings(tmp_path, database_url: str | None, **extra) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-key-0123456789",
        dispatch_interval=0.05,
        job_backoff_base=0.01,
        **extra,
    )


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def gateway(request, tmp_path_factory, pg_server):
    """One app per database kind for the session; tables are emptied between tests."""
    tmp = tmp_path_factory.mktemp(f"gw-{request.param}")
    url = None
    if request.param == "postgresql":
        url = await create_database_async(pg_server)
        from store.db import Database
        from store.migrate import upgrade

        db = Database(url.replace("postgresql://", "postgresql+asyncpg://"))
        await upgrade(db.engine)
        await db.dispose()
    async with running_app(make_settings(tmp, url)) as app:
        yield app


async def _empty(app) -> None:
    await app.state.dispatcher.drain()
    db = app.state.db
    keep = {"workflow_statuses", "alembic_version"}
    async with db.engine.begin() as conn:
        names = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in keep]
        if db.is_sqlite:
            for name in names:
                await conn.execute(text(f"DELETE FROM {name}"))
        else:
            # The dispatcher's background pass locks events, then deliveries and webhooks;
            # TRUNCATE takes its locks in list order, so the same order cannot deadlock with it.
            first = ["events", "deliveries", "webhooks"]
            names = first + [n for n in names if n not in first]
            await conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        await conn.execute(
            text(
                "DELETE FROM workflow_statuses WHERE name NOT IN "
                "('new', 'open', 'pending', 'solved', 'closed')"
            )
        )


@pytest.fixture
async def app(gateway):
    yield gateway
    await _empty(gateway)


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def make_key(app, scopes: list[str], name: str = "test") -> str:
    async with app.state.db.uow() as session:
        _, plain = await staff.create_api_key(session, name=name, scopes=scopes)
    return plain


@pytest.fixture
async def admin_headers(app) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_key(app, ['admin'], 'admin')}"}
