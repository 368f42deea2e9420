"""The team dashboard (any signed-in staff): tickets created and solved per day, channels,
what the bot did, first response medians; charts drawn server-side as inline SVG."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gateway.console.charts import columns
from gateway.console.stats import PERIODS
from gateway.console.web import CHANNELS, Agent, ReadSession, render
from store.tickets.stats import TeamStats, team_stats

router = APIRouter(prefix="/console/stats", include_in_schema=False)
BOT_LABELS = {
    "bot_answered": "Answered by the bot",
    "escalated": "Handled by humans",
    "unanswered": "Not answered by the bot",
}


def _minutes(value) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 1)


def charts(stats: TeamStats) -> dict:
    labels = [d.day.strftime("%d %b") for d in stats.per_day]
    volume = columns(
        labels,
        {
            "Created": [d.created for d in stats.per_day],
            "Solved": [d.solved for d in stats.per_day],
        },
    )
    response = columns(
        labels,
        {"Median first response": [_minutes(d.median_first_response) for d in stats.per_day]},
        fmt=lambda v: f"{v:g} min",
    )
    return {"volume": volume, "response": response}


@router.get("/team")
async def team_page(request: Request, session: ReadSession, me: Agent, days: int = 30):
    days = days if days in PERIODS else 30
    stats = await team_stats(session, days=days)
    busiest = max((n for _, n in stats.by_channel), default=0)
    bot_total = sum(stats.bot.values())
    return render(
        request,
        "team_stats.html",
        me=me,
        stats=stats,
        periods=PERIODS,
        charts=charts(stats),
        busiest=busiest,
        bot_total=bot_total,
        bot_labels=BOT_LABELS,
        channel_names={k: v[0] for k, v in CHANNELS.items()},
    )
