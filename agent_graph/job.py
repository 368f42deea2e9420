"""The agent's jobs: answer each inbound customer message; triage every one and draft a reply
for the human who must answer it; continue a reviewed draft; learn from a solved escalation.
Which events start them: gateway/outbox/table.py."""

from __future__ import annotations

from agent_graph.assist import assist
from agent_graph.learning import capture_resolution
from agent_graph.runner import Agent, LlmDefaults
from store.jobs import JobContext

REVIEW_EVENT = "agent.review_decided"
NOISE = {"no_bot_answer", "auto_reply", "bounce", "malformed", "opt_out", "opt_in", "no_speech"}


def agent_for(ctx: JobContext) -> Agent:
    """One compiled graph per process, kept with the job context's shared clients."""
    if "agent" not in ctx.extras:
        s = ctx.settings
        key = getattr(s, "llm_api_key", None)
        defaults = LlmDefaults(
            base_url=getattr(s, "llm_base_url", None),
            api_key=key.get_secret_value() if key is not None else None,
            model=getattr(s, "llm_model", None),
        )
        ctx.extras["agent"] = Agent(
            ctx.db,
            llm=defaults,
            channel_limits=ctx.channel_limits,
            public_url=getattr(s, "public_url", "") or "",
        )
    return ctx.extras["agent"]


async def agent_turn(ctx: JobContext, args: dict) -> None:
    if NOISE & set(args.get("flags") or ()):
        return
    await agent_for(ctx).turn(ticket_id=args["ticket_id"], message_id=args["message_id"])


async def agent_assist(ctx: JobContext, args: dict) -> None:
    """Triage whoever owns the ticket; a suggested reply when a human must answer."""
    if NOISE & set(args.get("flags") or ()):
        return
    await assist(
        ctx.db,
        agent_for(ctx).retrieve,
        ticket_id=args["ticket_id"],
        message_id=args["message_id"],
    )


async def agent_review(ctx: JobContext, args: dict) -> None:
    review = {k: args.get(k) for k in ("approve", "text", "by")}
    await agent_for(ctx).resume(ticket_id=args["ticket_id"], review=review)


async def agent_learn(ctx: JobContext, args: dict) -> None:
    """A solved escalation teaches the bot (once an admin approves the example)."""
    await capture_resolution(ctx.db, args["ticket_id"])
