"""Admin pages under /console/admin: admins only (agents get a 403 page).

Every route here depends on `AdminUser`; templates extend `admin/base.html`, which adds the
admin section's navigation (ADMIN_SECTIONS) to the console layout.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from gateway.console.web import AdminUser, render, templates

router = APIRouter(prefix="/console/admin", include_in_schema=False)

# (path under /console/admin, label): the landing page lists them; add one per admin page.
# admin/base.html reads them as `admin_sections`, so admin routes need not pass them.
ADMIN_SECTIONS: list[tuple[str, str]] = [
    ("rules", "Escalation and routing rules"),
    ("channels", "Channels"),
    ("staff", "Teams and agents"),
    ("kb", "Knowledge base"),
    ("bot", "Bot settings"),
    ("keys", "API keys"),
    ("webhooks", "Webhooks"),
    ("config", "Fields, macros and statuses"),
    ("assignment", "Assignment and presence"),
    ("sla", "SLA policies"),
    ("hours", "Business hours"),
]
templates.env.globals["admin_sections"] = ADMIN_SECTIONS


@router.get("")
async def admin_home(request: Request, me: AdminUser):
    return render(request, "admin/index.html", me=me)
