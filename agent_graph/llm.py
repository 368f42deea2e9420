"""LLM mode: one chat-completions call through the `openai` client (any OpenAI-compatible
endpoint) that either calls tools or returns a structured decision."""

from __future__ import annotations

import json
from typing import Literal

import openai
from pydantic import BaseModel, Field, ValidationError

from agent_graph import tools
from agent_graph.state import BotConfig, TurnState


class LlmDecision(BaseModel):
    """The structured output the model must return."""

    action: Literal["answer", "clarify", "escalate"]
    reply: str = Field(description="the answer or clarifying question, in the customer's language")
    reason: str
    sources: list[str] = Field(description="ids of the passages the answer relies on")


SCHEMA = {
    "name": "decision",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["answer", "clarify", "escalate"]},
            "reply": {"type": "string"},
            "reason": {"type": "string"},
            "sources": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["action", "reply", "reason", "sources"],
        "additionalProperties": False,
    },
}

SYSTEM = """You are a customer-support agent. Answer only from the knowledge passages and past
resolutions below or from tool results; never invent facts. If the question is ambiguous between
topics, ask one short clarifying question naming them. If a passage answers only under
conditions the customer has not yet said whether they meet (eligibility rules, "if you ..."),
ask one yes/no follow-up question about the first such condition (action clarify, sources:
that passage) instead of answering. If you cannot answer with confidence, or
the customer needs something only a human can do, escalate. Reply in the customer's language
({language}), as {form}. Return the decision as JSON: action (answer | clarify | escalate),
reply, reason, sources (the ids of the passages you used).

Knowledge passages:
{passages}

Past resolutions:
{examples}"""


class LlmFailed(Exception):
    pass


def first_messages(state: TurnState, form: str = "plain text, no Markdown") -> list[dict]:
    """The instructions (with the passages, past answers and the channel's reply `form`, see
    replies.format_hint) and the customer's words."""
    passages = "\n".join(
        f"[{p['chunk_id']}] {p['title']} — {p['heading']}: {p['text'][:1500]}"
        for p in state.get("passages", [])[:6]
    )
    examples = "\n".join(
        f"[example:{e['label']}] {e['answer']}"
        for e in state.get("examples", [])[:3]
        if e.get("answer")
    )
    system = SYSTEM.format(
        language=state.get("language", "en"),
        form=form,
        passages=passages or "(none)",
        examples=examples or "(none)",
    )
    # The conversation so far (the retrieve node read it from the ticket), then the new words.
    earlier = [
        {"role": "user" if h["role"] == "customer" else "assistant", "content": h["text"]}
        for h in state.get("history") or []
    ]
    return [
        {"role": "system", "content": system},
        *earlier,
        {"role": "user", "content": state["text"]},
    ]


def client_for(config: BotConfig) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=config.llm_base_url,
        api_key=config.llm_api_key or "not-needed",
        timeout=config.llm_timeout,
        max_retries=config.llm_retries,
    )


async def complete(config: BotConfig, messages: list[dict], tool_specs: list[dict]) -> dict:
    """One completion: {"tool_calls": [...], "message": {...}} or {"decision": LlmDecision}."""
    client = client_for(config)
    try:
        response = await client.chat.completions.create(
            model=config.llm_model or "default",
            messages=messages,
            tools=tool_specs or openai.omit,
            response_format={"type": "json_schema", "json_schema": SCHEMA},
        )
    except openai.OpenAIError as exc:
        raise LlmFailed(f"{type(exc).__name__}: {exc}"[:500]) from exc
    finally:
        await client.close()
    if not response.choices:
        raise LlmFailed("the LLM returned no choices")
    message = response.choices[0].message
    if message.tool_calls:
        return {"message": message.model_dump(exclude_none=True), "tool_calls": message.tool_calls}
    try:
        return {"decision": LlmDecision.model_validate(json.loads(message.content or ""))}
    except (ValueError, ValidationError) as exc:
        raise LlmFailed(
            f"the LLM's decision was not valid JSON for the schema: {exc}"[:500]
        ) from exc


__all__ = ["LlmDecision", "LlmFailed", "complete", "first_messages", "tools"]
