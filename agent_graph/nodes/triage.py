"""triage: language, sentiment, whether a human is asked for, priority and tags -- for the
bot's turn, and (through `triage_of`) for every inbound message whoever owns the ticket."""

from __future__ import annotations

import asyncio
import re

from langgraph.runtime import Runtime

from agent_graph.language import asks_for_human, detect_language, is_urgent, sentiment
from agent_graph.state import TurnContext, TurnState

NEGATIVE_BELOW = -0.3
# What the customer asks for is not how they feel: "refund" or "cancel my order" alone is a
# request (the intent says so), not anger. The words are kept out of the mood lexicon's sight.
REQUEST_WORDS = re.compile(
    r"\b(refunds?|refunded|refunding|cancel(?:led|ling|lation)?|returns?|returned|"
    r"reembolso|remboursement|rückerstattung|erstattung|stornieren|annuler|cancelar)\b",
    re.IGNORECASE,
)


def mood_of(text: str) -> float:
    return sentiment(REQUEST_WORDS.sub(" ", text))


def priority_of(text: str, mood: float, vip: bool) -> str:
    if is_urgent(text):
        return "urgent"
    return "high" if mood <= NEGATIVE_BELOW or vip else "normal"


def triage_of(text: str, *, vip: bool = False) -> dict:
    """The message's triage as plain values (the graph state's triage keys)."""
    mood = mood_of(text)
    tags = ["negative"] if mood <= NEGATIVE_BELOW else []
    if vip:
        tags.append("vip")
    return {
        "language": detect_language(text),
        "sentiment": round(mood, 3),
        "asks_human": asks_for_human(text),
        "priority": priority_of(text, mood, vip),
        "tags": tags,
    }


async def triage(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    # Off the event loop: language detection loads lingua's models on first use (seconds
    # under load), which would stall every other conversation's socket traffic.
    return await asyncio.to_thread(triage_of, state["text"], vip=bool(state.get("vip")))
