"""The FastAPI application: routes, middleware, and the lifespan that owns DB and dispatcher."""

from __future__ import annotations

import gc
import importlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from gateway import errors
from gateway.body_limit import BodyLimitMiddleware
from gateway.dispatcher import Dispatcher
from gateway.ingest_writer import IngestWriter
from gateway.jobs import JobContext
from gateway.routes import (
    agent,
    auth,
    channels,
    config,
    contacts,
    inbound,
    kb,
    staff,
    tickets,
    webhooks,
)
from gateway.settings import Settings, get_settings
from store import files
from store.db import Database
from store.migrate import pending, upgrade

log = logging.getLogger(__name__)

# Modules that register jobs and channels when imported; each may also expose a `router`
# (provider webhooks), `install(app)` and `startup(app)` / `shutdown(app)` hooks. One line each.
PLUGINS: list[str] = [
    "gateway.send",
    "channels.slack_plugin",
    "channels.twilio_plugin",
    "channels.email_plugin",
    "gateway.realtime",
    "gateway.widget_routes",
    "gateway.console",
    "agent_graph.job",
]
ROUTERS = [auth, tickets, agent, inbound, contacts, staff, config, webhooks, channels, kb]


class NotMigrated(RuntimeError):
    pass


def load_modules() -> list:
    return [importlib.import_module(name) for name in PLUGINS]


async def prepare_database(db: Database) -> None:
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


def rq_queue(settings: Settings):
    if not settings.redis_url:
        return None
    from redis import Redis
    from rq import Queue

    return Queue("autocrm", connection=Redis.from_url(settings.redis_url))


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    files.configure(settings.attachments_dir)
    db = Database(settings.db_url)
    await prepare_database(db)
    app.state.db = db
    dispatcher = Dispatcher(JobContext(db=db, settings=settings), rq_queue=rq_queue(settings))
    app.state.dispatcher = dispatcher
    app.state.ingest = IngestWriter(db)
    app.state.ingest.start()
    for hook in app.state.startup_hooks:
        await hook(app)
    dispatcher.start()
    gc.freeze()  # start-up's objects live as long as the process: full GCs skip them
    try:
        yield
    finally:
        # The reverse of start-up: plugins (pollers, sockets) may still hand messages to the
        # ingest writer while they stop, so it stops after them; what they committed and the
        # dispatcher did not deliver yet stays in the outbox for the next start.
        await dispatcher.stop()
        for hook in reversed(app.state.shutdown_hooks):
            await hook(app)
        await app.state.ingest.stop()
        await db.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    plugins = load_modules()
    app = FastAPI(
        title="AutoCRM",
        version="0.1.0",
        lifespan=lifespan,
        description="AI-first omnichannel customer-support gateway",
    )
    app.state.settings = settings
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    errors.install(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret,
        session_cookie="autocrm_session",
        same_site="lax",
        https_only=settings.cookie_secure,
        max_age=14 * 24 * 3600,
    )
    # The widget upload route enforces its own (attachment-sized) limit while reading.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        exempt_prefixes=("/widget/api/uploads",),
    )
    for module in ROUTERS + [p for p in plugins if hasattr(p, "router")]:
        app.include_router(module.router)
    for plugin in plugins:
        if hasattr(plugin, "install"):  # e.g. mounts a sub-application (socket.io)
            plugin.install(app)
        if hasattr(plugin, "startup"):
            app.state.startup_hooks.append(plugin.startup)
        if hasattr(plugin, "shutdown"):
            app.state.shutdown_hooks.append(plugin.shutdown)

    @app.get("/healthz", tags=["meta"])
    async def healthz():
        """Liveness, with no database work (the benchmark's bare baseline)."""
        return {"ok": True}

    return app
