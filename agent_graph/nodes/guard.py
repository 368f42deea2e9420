"""guard: the admin's escalation rules (and two built-ins) before the bot may answer."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent_graph.rules import facts_of
from agent_graph.state import TurnContext, TurnState
from store.agent.conditions import conditions_match


def _fired(name: str, action: str, why: str) -> dict:
    return {"guard": {"rule": name, "action": action, "why": why}}


async def guard(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    ctx = runtime.context
    if state.get("asks_human"):
        return _fired("built-in: asks for a human", "escalate", "the customer asked for a human")
    if state.get("bot_turns", 0) >= ctx.config.max_bot_turns:
        why = f"{state.get('bot_turns')} bot replies already (limit {ctx.config.max_bot_turns})"
        return _fired("built-in: bot turn limit", "escalate", why)
    facts = facts_of(state)
    for rule in ctx.escalation_rules:
        if conditions_match(rule["conditions"], facts, ctx.now):
            if rule["action"] == "review" and ctx.config.review_mode == "off":
                continue
            return _fired(rule["name"], rule["action"], f"rule {rule['name']!r} matched")
    if ctx.config.review_mode == "all":
        return _fired("review mode: all", "review", "every bot draft waits for approval")
    return {"guard": None}
