"""Escalation and routing rules: lists in plain words and a form-based condition builder.

The builder maps one to one onto the condition schemas in store/agent/schemas.py (the same
keys the agent graph matches in agent_graph/rules.py); the page's script posts them to
/api/v1/agent/escalation-rules and /api/v1/agent/routing-rules.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from gateway.console.web import CHANNELS, AdminUser, ReadSession, render
from store.agent import service as agent
from store.agent.schemas import RuleConditions
from store.staff import service as staff
from store.tickets.models import PRIORITIES

router = APIRouter(prefix="/console/admin", include_in_schema=False)

# condition key -> what the builder's menu calls it
CONDITION_LABELS = {
    "keywords": "Message text contains",
    "matches": "Message text matches (regex)",
    "channels": "Channel is",
    "intents": "Intent is",
    "languages": "Language is",
    "tags": "Ticket has a tag",
    "priorities": "Priority is",
    "vip": "Customer is a VIP",
    "contact_attributes": "Contact attribute is",
    "asks_human": "Customer asks for a human",
    "sentiment_below": "Sentiment is below",
    "confidence_below": "Bot confidence is below",
    "min_bot_turns": "Bot has replied at least",
    "window": "Time is within",
}
# Both rule kinds share one condition schema, so both builders offer the same conditions.
CONDITION_KINDS = [k for k in CONDITION_LABELS if k in RuleConditions.model_fields]
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _names(values: list[str], labels: dict[str, str] | None = None) -> str:
    shown = [f'"{v}"' if labels is None else labels.get(v, v) for v in values]
    return " or ".join(shown)


def _window(w: dict) -> str:
    days = w.get("days", list(range(7)))
    when = "every day" if len(days) == 7 else ", ".join(DAYS[d] for d in sorted(days))
    span = f"{w.get('start', '00:00')}–{w.get('end', '23:59')}"
    return f"time is {span} {w.get('timezone', 'UTC')}, {when}"


def describe(conditions: dict) -> list[str]:
    """The conditions in words, one phrase each (all must hold)."""
    channel_names = {k: v[0] for k, v in CHANNELS.items()}
    said = {
        "keywords": lambda v: f"text contains {_names(v)}",
        "matches": lambda v: f"text matches /{v}/",
        "channels": lambda v: f"channel is {_names(v, channel_names)}",
        "intents": lambda v: f"intent is {_names(v)}",
        "languages": lambda v: f"language is {_names(v)}",
        "tags": lambda v: f"ticket is tagged {_names(v)}",
        "priorities": lambda v: f"priority is {_names(v, {})}",
        "vip": lambda v: "customer is a VIP" if v else "customer is not a VIP",
        "contact_attributes": lambda v: " and ".join(f"contact {k} is {x!r}" for k, x in v.items()),
        "asks_human": lambda v: (
            "customer asks for a human" if v else "customer does not ask for a human"
        ),
        "sentiment_below": lambda v: f"sentiment below {v:g}",
        "confidence_below": lambda v: f"bot confidence below {v:g}",
        "min_bot_turns": lambda v: f"bot replied {v}+ times",
        "window": _window,
    }
    return [said[k](v) if k in said else f"{k} = {v}" for k, v in conditions.items()]


@router.get("/rules")
async def rules_page(request: Request, session: ReadSession, me: AdminUser):
    teams = await staff.list_teams(session)
    return render(
        request,
        "admin/rules.html",
        me=me,
        escalation=await agent.list_escalation_rules(session),
        routing=await agent.list_routing_rules(session),
        teams={t.id: t.name for t in teams},
        describe=describe,
        labels=CONDITION_LABELS,
        kinds=CONDITION_KINDS,
        priorities=PRIORITIES,
        days=DAYS,
    )
