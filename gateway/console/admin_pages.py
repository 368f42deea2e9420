"""Admin pages that list what the API manages and offer its forms: channels, teams and
agents, bot settings and tools, API keys, webhooks with their delivery logs, custom fields,
macros and statuses. Reads go through the store services; writes go through /api/v1 from
the page's script (console/src/admin.js), so validation and secrets handling stay in one place.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from agent_graph.tools import BUILTINS
from gateway.console.web import AdminUser, ReadSession, render
from store.agent import service as agent
from store.agent.thresholds import BotThresholds
from store.config import accounts
from store.config import service as config
from store.config.models import STATUS_CATEGORIES
from store.errors import NotFound
from store.outbox import service as outbox
from store.staff import service as staff
from store.tickets.models import PRIORITIES

router = APIRouter(prefix="/console/admin", include_in_schema=False)


def widget_snippet(request: Request, widget_key: str) -> str:
    """The tag a site pastes into its pages (widget/README.md), pointing at this gateway."""
    origin = str(request.base_url).rstrip("/")
    return f'<script src="{origin}/widget.js" data-widget-key="{widget_key}" async></script>'


@router.get("/channels")
async def channels_page(request: Request, session: ReadSession, me: AdminUser):
    rows = await accounts.list_accounts(session)
    snippets = {
        r.id: widget_snippet(request, r.config["widget_key"])
        for r in rows
        if r.channel == "webchat" and r.config.get("widget_key")
    }
    return render(
        request,
        "admin/channels.html",
        me=me,
        accounts=rows,
        secrets={r.id: sorted(r.secrets) for r in rows},  # names only, never values
        snippets=snippets,
    )


@router.get("/staff")
async def staff_page(request: Request, session: ReadSession, me: AdminUser):
    return render(
        request,
        "admin/staff.html",
        me=me,
        users=await staff.list_users(session),
        teams=await staff.list_teams(session),
    )


@router.get("/bot")
async def bot_page(request: Request, session: ReadSession, me: AdminUser):
    settings = agent.read_settings(await agent.get_settings(session))  # no key, only key_set
    return render(
        request,
        "admin/bot.html",
        me=me,
        settings=settings,
        threshold_kinds={
            k: "int" if f.annotation is int else "float"
            for k, f in BotThresholds.model_fields.items()
        },
        tools=await agent.list_tools(session),
        builtins=BUILTINS,
    )


@router.get("/keys")
async def keys_page(request: Request, session: ReadSession, me: AdminUser):
    keys = await staff.list_api_keys(session)
    return render(request, "admin/keys.html", me=me, keys=keys, scopes=staff.SCOPES)


@router.get("/webhooks")
async def webhooks_page(request: Request, session: ReadSession, me: AdminUser):
    hooks = await outbox.list_webhooks(session)
    return render(request, "admin/webhooks.html", me=me, hooks=hooks)


@router.get("/webhooks/{webhook_id}")
async def webhook_log_page(request: Request, webhook_id: int, session: ReadSession, me: AdminUser):
    try:
        hook = await outbox.get_webhook(session, webhook_id=webhook_id)
    except NotFound:
        return render(request, "not_found.html", 404, me=me, what=f"Webhook {webhook_id}")
    deliveries = await outbox.list_deliveries(session, webhook_id=webhook_id)
    return render(request, "admin/webhook_log.html", me=me, hook=hook, deliveries=deliveries)


@router.get("/config")
async def config_page(request: Request, session: ReadSession, me: AdminUser):
    return render(
        request,
        "admin/config.html",
        me=me,
        fields=await config.list_fields(session),
        macros=await config.list_macros(session),
        statuses=await config.list_statuses(session),
        categories=STATUS_CATEGORIES,
        priorities=PRIORITIES,
    )
