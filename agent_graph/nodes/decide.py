"""decide: answer, clarify, escalate or call a tool — by retrieval thresholds or by the LLM.

A question in another language than English is matched again through the multilingual encoder
(agent_graph.multilingual) before deciding, with the multilingual thresholds: the passages and
examples found that way replace the English encoder's in the state (and so in the trace). An
answer in another language than the customer's (an English article to a Spanish question)
starts by saying so in theirs; clarifying questions are asked in their language."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent_graph import llm, multilingual, tools
from agent_graph.decision import ChunkHit, decide
from agent_graph.grounding import knowledge_decision
from agent_graph.intent_model import LabelScore
from agent_graph.language import detect_language
from agent_graph.phrasebook import answer_in, clarify_question
from agent_graph.replies import format_hint
from agent_graph.state import TurnContext, TurnState
from store.knowledge.schemas import language_of

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
    language = state.get("language")
    thresholds = ctx.config.thresholds
    if state.get("multilingual"):
        thresholds = thresholds.multilingual()
        state = {**state, "passages": _own_language_first(state, thresholds)}
        kept = {p["chunk_id"] for p in state["passages"]}
        hits = [h for h in hits if h.chunk_id in kept]
    d = decide(scores, hits, thresholds)
    out = {"action": d.action, "reason": d.reason, "confidence": round(d.confidence, 4)}
    out.update(model="retrieval", label=d.label, sources=[], text="")
    if state.get("multilingual"):
        out["encoder"] = "multilingual"
    if not (d.action == "answer" and d.chosen.source == "example"):
        # Articles: a section, the whole article, or a question built from their headings.
        known = knowledge_decision(state, thresholds, clarify_question)
        if known:
            if known.get("action") == "answer" and known.get("sources"):
                first = _passage_by_id(state, known["sources"][0]["id"])
                known["text"] = _in_their_language(known["text"], _locale(first), language)
            return out | known
    if d.action == "answer" and d.chosen.source == "example":
        answer = next((e["answer"] for e in state["examples"] if e["label"] == d.label), None)
        if not answer:
            return out | {"action": "escalate", "reason": f"no stored answer for {d.label!r}"}
        out.update(
            text=_in_their_language(answer, detect_language(answer), language),
            sources=[{"kind": "example", "id": str(d.chosen.ref), "label": d.label}],
        )
    elif d.action == "answer":
        passage = _passage_by_id(state, d.chosen.id)
        out.update(
            text=_in_their_language(passage["text"], _locale(passage), language),
            source_title=passage["title"],
        )
        out["sources"] = [{"kind": "passage", "id": passage["chunk_id"], "title": passage["title"]}]
    elif d.action == "clarify":
        options = list(dict.fromkeys(c.title for c in d.candidates))
        out.update(text=clarify_question(options, language), options=options)
    return out


def _passage_by_id(state: TurnState, chunk_id) -> dict:
    return next(p for p in state["passages"] if p["chunk_id"] == chunk_id)


def _locale(passage: dict | None) -> str:
    return language_of((passage or {}).get("locale") or "en")


def _in_their_language(text: str, written_in: str | None, language: str | None) -> str:
    """The answer, after a sentence in the customer's language when it is written in another."""
    lead = answer_in(written_in, language)
    return f"{lead}\n\n{text}" if lead else text


def _own_language_first(state: TurnState, t) -> list[dict]:
    """The passages to answer a non-English question from: those in the customer's language
    when one of them is close enough to answer from, else the English ones (the bot then says
    it answers in English), else all. Never an article in a third language: the same article
    in German and English must not make a Spanish question look ambiguous."""
    passages = state.get("passages") or []
    mine = [p for p in passages if _locale(p) == state.get("language")]
    if mine and max(p["similarity"] for p in mine) >= t.chunk_answer_similarity:
        return mine
    return [p for p in passages if _locale(p) == "en"] or passages


async def _multilingual(state: TurnState, ctx: TurnContext) -> dict:
    """Passages and examples through the multilingual encoder, for a non-English question."""
    search = ctx.extras.get("multilingual_retrieve", multilingual.retrieve)
    found = await search(ctx.db, state["text"], language=state["language"], k=8)
    update = {"passages": found.passages, "examples": found.examples, "multilingual": True}
    top = found.examples[0] if found.examples else None
    update["intent"] = top["label"] if top else None
    return update


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
    found: dict = {}
    language = state.get("language") or "en"
    if language != "en" and state.get("text") and not state.get("llm_messages"):
        found = await _multilingual(state, ctx)
        state = {**state, **found}
    if ctx.config.mode == "llm" and ctx.config.llm_base_url:
        update = await _llm_step(state, ctx)
    else:
        update = {"decision": retrieval_decision(state, ctx)}
    update["decision"]["candidates"] = _candidates(state)
    return found | update


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
