"""A turn's facts for the escalation and routing rules (the matching is store.agent.conditions)."""

from __future__ import annotations

from store.tickets.models import higher_priority


def facts_of(state: dict, **override) -> dict:
    """A turn's facts for the rules, from the graph state. Tags and priority are the ticket's
    as triage leaves them (trace.apply_triage: tags added, priority only raised); `override`
    replaces any fact, e.g. with the stored ticket's own values."""
    tags = list(dict.fromkeys([*state.get("ticket_tags", []), *state.get("tags", [])]))
    facts = {
        "text": state.get("text", ""),
        "vip": bool(state.get("vip")),
        "sentiment": state.get("sentiment", 0.0),
        "asks_human": bool(state.get("asks_human")),
        "intent": state.get("intent"),
        "channel": state.get("channel"),
        "language": state.get("language"),
        "tags": tags,
        "priority": higher_priority(state.get("ticket_priority"), state.get("priority")),
        "contact_attributes": dict(state.get("contact_attributes") or {}),
        "bot_turns": state.get("bot_turns", 0),
        "confidence": state.get("confidence", 0.0),
    }
    return facts | override
