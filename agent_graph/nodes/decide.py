"""decide: answer, clarify, escalate or call a tool — by retrieval thresholds or by the LLM."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent_graph import llm, tools
from agent_graph.decision import ChunkHit, decide
from agent_graph.intent_model import LabelScore
from agent_graph.replies import clarify_question, format_hint
from agent_graph.state import TurnContext, TurnState

MAX_TOOL_ROUNDS = 3


def _candidates(state: TurnState) -> list[dict]:
    ex = [
        {"kind": "example", "id": e["label"], "score": e["probability"], "sim": e["similarity"]}
        for e in state.get("examples", [])[:3]
    ]
    ch = [
        {"kind": "passage", "id": p["chunk_id"], "title": p["title"], "sim": p["similarity"]}
        for p in state.get("passages", [])[:5]
    ]
    return ex + ch


def retrieval_decision(state: TurnState, ctx: TurnContext) -> dict:
    """The same `decide` the evaluation harness measures, plus the words to send."""
    scores = [
        LabelScore(e["label"], e["probability"], e["similarity"], e["example_id"])
        for e in state.get("examples", [])
    ]
    hits = [
        ChunkHit(p["chunk_id"], p["article_id"], p["title"], p["similarity"])
        for p in state.get("passages", [])
    ]
    d = decide(scores, hits, ctx.config.thresholds)
    out = {"action": d.action, "reason": d.reason, "confidence": round(d.confidence, 4)}
    out.update(model="retrieval", label=d.label, sources=[], text="")
    if d.action == "answer" and d.chosen.source == "example":
        answer = next((e["answer"] for e in state["examples"] if e["label"] == d.label), None)
        if not answer:
            return out | {"action": "escalate", "reason": f"no stored answer for {d.label!r}"}
        out.update(
            text=answer, sources=[{"kind": "example", "id": str(d.chosen.ref), "label": d.label}]
        )
    elif d.action == "answer":
        passage = next(p for p in state["passages"] if p["chunk_id"] == d.chosen.id)
        out.update(text=passage["text"], source_title=passage["title"])
        out["sources"] = [{"kind": "passage", "id": passage["chunk_id"], "title": passage["title"]}]
    elif d.action == "clarify":
        options = list(dict.fromkeys(c.title for c in d.candidates))
        out.update(text=clarify_question(options, state.get("language")), options=options)
    return out


async def _llm_step(state: TurnState, ctx: TurnContext) -> dict:
    form = format_hint(state["channel"], ctx.limits_of(state["channel"]))
    messages = state.get("llm_messages") or llm.first_messages(state, form)
    specs = tools.specs(ctx.tools)
    base = {"model": ctx.config.llm_model or "llm", "confidence": None, "label": None}
    try:
        result = await llm.complete(ctx.config, messages, specs)
    except llm.LlmFailed as exc:
        return {"decision": base | {"action": "escalate", "reason": f"LLM failed: {exc}"}}
    if "tool_calls" in result:
        rounds = sum(1 for m in messages if m.get("tool_calls"))
        if rounds >= MAX_TOOL_ROUNDS:
            why = f"still calling tools after {rounds} rounds"
            return {"decision": base | {"action": "escalate", "reason": why}}
        calls = [
            {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
            for c in result["tool_calls"]
        ]
        return {
            "llm_messages": [*messages, result["message"]],
            "decision": base | {"action": "tool", "reason": "calling tools", "calls": calls},
        }
    dec = result["decision"]
    by_id = {p["chunk_id"]: p for p in state.get("passages", [])}
    sources = [
        {"kind": "passage", "id": s, "title": by_id[s]["title"]} for s in dec.sources if s in by_id
    ]
    return {
        "decision": base
        | {"action": dec.action, "reason": dec.reason, "text": dec.reply, "sources": sources},
        "llm_messages": [],
    }


async def decide_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    ctx = runtime.context
    if ctx.config.mode == "llm" and ctx.config.llm_base_url:
        update = await _llm_step(state, ctx)
    else:
        update = {"decision": retrieval_decision(state, ctx)}
    update["decision"]["candidates"] = _candidates(state)
    return update


async def run_tools(state: TurnState, runtime: Runtime[TurnContext]) -> dict:
    """Execute the model's tool calls and hand the results back to it."""
    ctx = runtime.context
    messages, trace = list(state["llm_messages"]), list(state.get("tool_calls") or [])
    for call in state["decision"]["calls"]:
        result = await tools.call(
            call["name"],
            call["arguments"],
            db=ctx.db,
            contact_id=state.get("contact_id"),
            admin_tools=ctx.tools,
            hosts=list(ctx.config.tool_hosts),
        )
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
        trace.append({"name": call["name"], "arguments": call["arguments"], "result": result[:500]})
    return {"llm_messages": messages, "tool_calls": trace}
