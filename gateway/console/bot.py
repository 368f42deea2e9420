"""The bot's brief for the human, read from the agent graph's events on the ticket.

`agent.decision` events carry `action`, `reason`, `confidence` and, when the bot escalated,
`summary` and `suggested_reply` (the newest value wins); `agent.suggestion` events carry a
reply drafted for a message a human must answer (`suggested_reply`, `suggested_html`).
`agent.review_requested` events hold a draft waiting for approval (`draft`, from the bot) or
settle it (`approve`, from an agent, via POST /api/v1/tickets/<id>/agent/review), so the last
such event says whether a draft is pending.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent_graph.trace import DECISION_EVENT, REVIEW_EVENT
from store.agent.triage import SUGGESTION_EVENT
from store.outbox.models import Event


@dataclass
class Brief:
    summary: str | None = None
    suggested_reply: str | None = None
    suggested_html: str | None = None  # the same, rendered and sanitised (agent_graph.suggest)
    reason: str | None = None
    action: str | None = None
    confidence: float | None = None
    pending_draft: str | None = None
    decisions: int = 0

    @property
    def empty(self) -> bool:
        return not (self.decisions or self.pending_draft or self.suggested_reply)


def _take_decision(brief: Brief, payload: dict) -> None:
    brief.decisions += 1
    brief.action = payload.get("action") or brief.action
    brief.reason = payload.get("reason") or brief.reason
    brief.summary = payload.get("summary") or brief.summary
    _take_suggestion(brief, payload)
    confidence = payload.get("confidence")
    brief.confidence = float(confidence) if isinstance(confidence, int | float) else None


def _take_suggestion(brief: Brief, payload: dict) -> None:
    if payload.get("suggested_reply"):
        brief.suggested_reply = payload["suggested_reply"]
        brief.suggested_html = payload.get("suggested_html") or None


def brief(events: list[Event]) -> Brief:
    out = Brief()
    for event in events:
        payload = event.payload or {}
        if event.type == DECISION_EVENT:
            _take_decision(out, payload)
        elif event.type == SUGGESTION_EVENT:  # a reply drafted for a message humans answer
            _take_suggestion(out, payload)
        elif event.type == REVIEW_EVENT:
            settled = "approve" in payload
            out.pending_draft = None if settled else (payload.get("draft") or None)
    return out
