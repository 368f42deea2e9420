"""escalate: humans take the ticket — assigned by routing, with a summary and a suggested reply
waiting for them in the brief (the trace; not copied into a note), and one handoff message to
the customer."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent_graph import trace
from agent_graph.replies import handoff_text, strip_markdown
from agent_graph.rules import facts_of
from agent_graph.state import TurnContext, TurnState
from agent_graph.suggest import Suggestion, compose, render
from store.actor import BOT
from store.assignment import service as assignment
from store.tickets import ownership
from store.tickets import service as tickets

# On a call the caller hears the handoff from the call itself (channels.twilio.calls).
NO_HANDOFF_MESSAGE = {"twilio_voice"}


def reason_of(state: TurnState) -> str:
    guard = state.get("guard")
    if guard and guard["action"] == "escalate":
        return guard["why"]
    review = state.get("review")
    if review and not review.get("approve"):
        return f"draft rejected by {review.get('by') or 'a reviewer'}"
    return (state.get("decision") or {}).get("reason") or "not confident"


def suggested_reply(state: TurnState) -> Suggestion | None:
    """The bot's own draft if it had one, else a reply grounded in the best past answer or
    passage, in the customer's language; rendered for the console, plain for the composer."""
    d = state.get("decision") or {}
    language = state.get("language") or "en"
    if d.get("text") and d.get("action") in ("answer", "clarify"):
        return Suggestion(
            strip_markdown(d["text"]), render(d["text"]), language, d.get("sources") or []
        )
    return compose(
        examples=state.get("examples", []), passages=state.get("passages", []), language=language
    )


def summary(state: TurnState, reason: str) -> str:
    mood = state.get("sentiment", 0.0)
    lines = [
        f"Bot escalated: {reason}.",
        f"Customer ({state.get('language', '?')}, sentiment {mood:+.2f}"
        + (", VIP" if state.get("vip") else "")
        + f"): {state['text'][:500]}",
    ]
    if state.get("intent"):
        lines.append(
            f"Likely intent: {state['intent']} (confidence {state.get('confidence', 0):.2f})"
        )
    if titles := [p["title"] for p in state.get("passages", [])[:3]]:
        lines.append("Closest articles: " + "; ".join(dict.fromkeys(titles)))
    return "\n".join(lines)


async def escalate(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    ctx = runtime.context
    reason = reason_of(state)
    ticket_id = state["ticket_id"]
    async with ctx.db.uow() as session:
        # The check and the change in one step: only the run that takes the ticket from the
        # bot writes the handoff, so the customer hears it once.
        if not await ownership.hand_to_human(session, ticket_id=ticket_id, actor=BOT):
            return {"outcome": "dropped"}
        ticket = await tickets.get(session, ticket_id=ticket_id)
        await trace.apply_triage(session, ticket, state)
        # the stored ticket's tags and priority: triage's plus what agents or rules set
        facts = facts_of(state, tags=list(ticket.tags), priority=ticket.priority)
        outcome = await assignment.assign(
            session,
            ticket_id=ticket_id,
            reason=f"bot escalated: {reason}",
            actor=BOT,
            facts=facts,
            now=ctx.now,
        )
        draft = suggested_reply(state)
        if state["channel"] not in NO_HANDOFF_MESSAGE:
            text = handoff_text(ctx.config.handoff_message, state.get("language"))
            message = await tickets.reply(session, ticket_id=ticket_id, body=text, actor=BOT)
            message.meta = {**message.meta, "decision": "escalate", "handoff": True}
        d = dict(state.get("decision") or {})
        state = {**state, "decision": d | {"action": "escalate", "reason": reason}}
        trace.record(
            session,
            state,
            ctx,
            summary=summary(state, reason),
            suggested_reply=draft.text if draft else "",
            suggested_html=draft.html if draft else "",
            suggestion_sources=draft.sources if draft else [],
            assignment={"team_id": outcome.team_id, "user_id": outcome.user_id, "why": outcome.why},
            review=state.get("review"),
        )
    return {"outcome": "escalated"}
