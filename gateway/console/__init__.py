"""The agent console and admin web UI, served under /console (a gateway plugin).

Server-rendered Jinja2 pages (templates/), one stylesheet and the script bundle built from
console/ with npm (static/), the live parts fed by the /console socket.io namespace.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from gateway.console import (
    admin,
    admin_kb,
    admin_pages,
    admin_rules,
    admin_sla,
    auth,
    queue,
    review,
    stats,
    team_stats,
    ticket,
)
from gateway.console.web import STATIC, install_handlers

router = APIRouter(include_in_schema=False)
for module in (
    auth,
    queue,
    ticket,
    review,
    stats,
    team_stats,
    admin,
    admin_rules,
    admin_pages,
    admin_kb,
    admin_sla,
):
    router.include_router(module.router)


@router.get("/console/", include_in_schema=False)
async def trailing_slash():
    return RedirectResponse("/console", status_code=308)


def install(app) -> None:
    app.mount("/console/static", StaticFiles(directory=STATIC, check_dir=False), name="console")
    install_handlers(app)
