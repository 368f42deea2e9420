"""The agent graph: triage -> retrieve -> guard -> decide (-> tools -> decide)* -> respond or
escalate, with an optional review pause before a draft is sent. One thread per ticket.

Retrieval runs before the guard so that rules can name intents and a confidence floor.
"""

from __future__ import annotations

from typing import Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph

from agent_graph.nodes.decide import decide_node, run_tools
from agent_graph.nodes.escalate import escalate
from agent_graph.nodes.guard import guard
from agent_graph.nodes.respond import respond
from agent_graph.nodes.retrieve import retrieve
from agent_graph.nodes.review import await_review, request_review
from agent_graph.nodes.triage import triage
from agent_graph.state import TurnContext, TurnState


def after_guard(state: TurnState) -> Literal["decide", "escalate"]:
    guard = state.get("guard")
    return "escalate" if guard and guard["action"] == "escalate" else "decide"


def after_decide(state: TurnState) -> Literal["tools", "escalate", "request_review", "respond"]:
    action = state["decision"]["action"]
    if action == "tool":
        return "tools"
    if action == "escalate":
        return "escalate"
    guard = state.get("guard")
    return "request_review" if guard and guard["action"] == "review" else "respond"


def after_request(state: TurnState) -> Literal["await_review", "__end__"]:
    return END if state.get("outcome") == "dropped" else "await_review"


def after_review(state: TurnState) -> Literal["respond", "escalate"]:
    return "respond" if (state.get("review") or {}).get("approve") else "escalate"


def build(checkpointer: BaseCheckpointSaver | None = None):
    g = StateGraph(TurnState, context_schema=TurnContext)
    g.add_node("triage", triage)
    g.add_node("retrieve", retrieve)
    g.add_node("guard", guard)
    g.add_node("decide", decide_node)
    g.add_node("tools", run_tools)
    g.add_node("request_review", request_review)
    g.add_node("await_review", await_review)
    g.add_node("respond", respond)
    g.add_node("escalate", escalate)
    g.add_edge(START, "triage")
    g.add_edge("triage", "retrieve")
    g.add_edge("retrieve", "guard")
    g.add_conditional_edges("guard", after_guard)
    g.add_conditional_edges("decide", after_decide)
    g.add_edge("tools", "decide")
    g.add_conditional_edges("request_review", after_request)
    g.add_conditional_edges("await_review", after_review)
    g.add_edge("respond", END)
    g.add_edge("escalate", END)
    return g.compile(checkpointer=checkpointer)
