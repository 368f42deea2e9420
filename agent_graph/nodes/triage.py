"""triage: language, sentiment, whether a human is asked for, priority and tags."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent_graph.language import asks_for_human, detect_language, is_urgent, sentiment
from agent_graph.state import TurnContext, TurnState

NEGATIVE_BELOW = -0.3


def priority_of(text: str, mood: float, vip: bool) -> str:
    if is_urgent(text):
        return "urgent"
    return "high" if mood <= NEGATIVE_BELOW or vip else "normal"


async def triage(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    text = state["text"]
    mood = sentiment(text)
    tags = ["negative"] if mood <= NEGATIVE_BELOW else []
    if state.get("vip"):
        tags.append("vip")
    return {
        "language": detect_language(text),
        "sentiment": round(mood, 3),
        "asks_human": asks_for_human(text),
        "priority": priority_of(text, mood, bool(state.get("vip"))),
        "tags": tags,
    }
