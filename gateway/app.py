"""The FastAPI application: routes, middleware, and the lifespan that owns DB and dispatcher."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from channels import registry
from gateway import console, errors, openapi_problems, realtime, widget_routes
from gateway.body_limit import BodyLimitMiddleware, PathLimit
from gateway.customer_side import CUSTOMER_ROUTES, body_limits
from gateway.outbox.dispatcher import Dispatcher
from gateway.principal import SESSION_MAX_AGE
from gateway.routes import (
    agent,
    assignment,
    auth,
    business_hours,
    channels,
    config,
    contacts,
    health,
    inbound,
    kb,
    review,
    sla,
    staff,
    tickets,
    webhooks,
)
from gateway.security_headers import SecurityHeadersMiddleware
from gateway.session_cookie import SessionCookieMiddleware
from gateway.settings import Settings, get_settings, prepare_data_dir
from gateway.widget_routes import CORS
from store.db import Database
from store.jobs import JobContext
from store.migrate import prepare
from store.tickets.ingest_writer import IngestWriter

log = logging.getLogger(__name__)

API = [auth, tickets, agent, inbound, contacts, staff, config, webhooks, channels, kb, assignment]
API += [sla, business_hours, health, review]
API += CUSTOMER_ROUTES  # help center, portal, contacts' data rights


def rq_queue(settings: Settings):
    if not settings.redis_url:
        return None
    from redis import Redis
    from rq import Queue

    # Timeouts: a Redis that drops packets must not hold a dispatcher pass (it then runs the
    # deliveries itself until Redis answers again).
    connection = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    return Queue("autocrm", connection=connection)


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    prepare_data_dir(settings)
    db = Database(settings.db_url)
    await prepare(db)
    app.state.db = db
    limits = {name: spec.limits for name, spec in registry.SPECS.items()}  # the agent's replies
    ctx = JobContext(db=db, settings=settings, channel_limits=limits)
    dispatcher = Dispatcher(ctx, rq_queue=rq_queue(settings))
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
    app = FastAPI(
        title="AutoCRM",
        version="0.1.0",
        lifespan=lifespan,
        description="AI-first omnichannel customer-support gateway",
    )
    app.state.settings = settings
    errors.install(app)
    openapi_problems.install(app)  # the document declares the problem+json errors
    # The cookie holds only a server-side session's token (gateway/principal.py).
    app.add_middleware(
        SessionCookieMiddleware,
        secret=settings.secret,
        https_only=settings.cookie_secure,
        max_age=SESSION_MAX_AGE,
    )
    # The widget's upload carries one attachment (plus the multipart framing), refused while
    # it streams in like any other body; the route then checks the file's own size.
    upload = PathLimit("/widget/api/uploads", settings.max_attachment_bytes + 64_000, CORS)
    paths = (upload, *body_limits(settings.max_attachment_bytes))
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, paths=paths)
    app.add_middleware(SecurityHeadersMiddleware, https=settings.cookie_secure)
    for router in [m.router for m in API] + registry.routers():
        app.include_router(router)
    app.include_router(widget_routes.router)
    app.include_router(console.router)
    console.install(app)
    realtime.install(app)  # socket.io, ahead of the HTTP middleware
    specs = registry.SPECS.values()
    app.state.startup_hooks = [s.startup for s in specs if s.startup] + [realtime.startup]
    app.state.shutdown_hooks = [s.shutdown for s in specs if s.shutdown] + [realtime.shutdown]

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        """A new user opening the address they started lands on the console's sign-in."""
        return RedirectResponse("/console", status_code=307)

    @app.get("/healthz", tags=["meta"])
    async def healthz():
        """Liveness, with no database work (the benchmark's bare baseline)."""
        return {"ok": True}

    return app
