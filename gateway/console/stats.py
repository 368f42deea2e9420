"""Personal stats: the signed-in agent's solved tickets and response times."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gateway.console.web import Agent, ReadSession, render
from store.tickets.stats import agent_stats

router = APIRouter(prefix="/console", include_in_schema=False)
PERIODS = (7, 30, 90)


@router.get("/stats")
async def stats_page(request: Request, session: ReadSession, me: Agent, days: int = 30):
    days = days if days in PERIODS else 30
    stats = await agent_stats(session, user_id=me.id, days=days)
    return render(request, "stats.html", me=me, stats=stats, periods=PERIODS)
