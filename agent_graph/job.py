"""The agent's jobs: answer each inbound customer message; continue a reviewed draft.

Loaded as a gateway plugin (gateway/app.py PLUGINS); `agent_turn` is the job name the voice
call waits for (channels/twilio_calls.py)."""

from __future__ import annotations

from agent_graph.learning import capture_resolution
from agent_graph.runner import Agent, LlmDefaults
from gateway.jobs import JobContext, job
from store.agent.service import bot_enabled

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
        ctx.extras["agent"] = Agent(ctx.db, llm=defaults)
    return ctx.extras["agent"]


# While the bot is off, messages start no turn at all (the turn checks again when it runs).
@job("agent_turn", on=("message.received",), when=bot_enabled)
async def agent_turn(ctx: JobContext, args: dict) -> None:
    if NOISE & set(args.get("flags") or ()):
        return
    await agent_for(ctx).turn(ticket_id=args["ticket_id"], message_id=args["message_id"])


@job("agent_review", on=(REVIEW_EVENT,))
async def agent_review(ctx: JobContext, args: dict) -> None:
    review = {k: args.get(k) for k in ("approve", "text", "by")}
    await agent_for(ctx).resume(ticket_id=args["ticket_id"], review=review)


@job("agent_learn", on=("ticket.updated",))
async def agent_learn(ctx: JobContext, args: dict) -> None:
    """A solved escalation teaches the bot (once an admin approves the example)."""
    await capture_resolution(ctx.db, args["ticket_id"])
