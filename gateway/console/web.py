"""What every console page shares: the signed-in staff member, CSRF on forms, templates.

Pages depend on `Agent` (any signed-in staff) or `AdminUser` (admins only), resolved from the
session cookie by gateway/principal.py like every other caller. A signed-out visitor is
redirected to /console/login; an agent on an admin page gets a 403 page. Forms carry the
session's CSRF token in a `csrf_token` field; scripts send it as X-CSRF-Token to /api/v1 (read
from <meta name="csrf-token">), where gateway.deps checks it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import principal as principals
from gateway.deps import get_database
from gateway.principal import Staff

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")

CHANNELS = {  # name -> (label, icon id in templates/icons.html)
    "webchat": ("Web chat", "chat"),
    "email": ("Email", "mail"),
    "twilio_sms": ("SMS", "sms"),
    "twilio_voice": ("Voice", "phone"),
    "slack": ("Slack", "slack"),
    "api": ("API", "api"),
}


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class AdminOnly(Exception):
    def __init__(self, staff: Staff) -> None:
        self.staff = staff


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only snapshot for rendering (on SQLite it never waits for the writer)."""
    async with get_database(request).read() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session)]


async def signed_in(request: Request) -> Staff:
    who = await principals.from_session(get_database(request), request.session)
    if who is None or who.staff is None:
        principals.sign_out(request.session)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return who.staff


async def admin_only(staff: Annotated[Staff, Depends(signed_in)]) -> Staff:
    if not staff.is_admin:
        raise AdminOnly(staff)
    return staff


Agent = Annotated[Staff, Depends(signed_in)]
AdminUser = Annotated[Staff, Depends(admin_only)]


def csrf_token(request: Request) -> str:
    return principals.csrf_token(request.session)


def check_csrf(request: Request, sent: str | None) -> None:
    if not principals.csrf_matches(request.session, sent):
        raise HTTPException(403, "the form's CSRF token is missing or stale: reload the page")


def safe_next(url: str | None) -> str:
    """Only console paths: never an open redirect to another site."""
    if url and url.startswith("/console") and not url.startswith("/console/login"):
        return url
    return "/console"


def static_url(name: str) -> str:
    """/console/static/<name>?v=<mtime>: a new build is fetched, an old one stays cached."""
    path = STATIC / name
    version = int(path.stat().st_mtime) if path.exists() else 0
    return f"/console/static/{name}?v={version}"


def ago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = int((datetime.now(UTC) - value).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} days"


templates.env.filters.update(ago=ago, duration=duration)
templates.env.globals.update(static_url=static_url, CHANNELS=CHANNELS)


def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    """A page or fragment; templates see `request`, `csrf` and whatever the route passes
    (pages pass `me`, the signed-in Staff)."""
    context.update(request=request, csrf=csrf_token(request))
    return templates.TemplateResponse(request, name, context, status_code=status)


def install_handlers(app) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired):
        return RedirectResponse(f"/console/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(AdminOnly)
    async def _admin_only(request: Request, exc: AdminOnly):
        return render(request, "forbidden.html", status=403, me=exc.staff)
