"""Retrieval-mode policy: answer when sure, clarify between close labels, escalate otherwise."""

from agent_graph.decision import ChunkHit, decide
from agent_graph.intent_model import LabelScore
from store.agent.thresholds import BotThresholds


def _scores(*rows):
    return [LabelScore(label, p, sim, f"ex-{label}") for label, p, sim in rows]


def test_confident_close_example_is_answered():
    d = decide(_scores(("refund", 0.9, 0.8), ("cancel", 0.05, 0.5)))
    assert d.action == "answer" and d.label == "refund"
    assert d.chosen.ref == "ex-refund" and d.confidence == 0.9


def test_confident_but_far_from_every_example_escalates():
    # An off-topic question the softmax still pins on one label: similarity vetoes it.
    d = decide(_scores(("refund", 0.95, 0.2)))
    assert d.action == "escalate" and "refund" in d.reason


def test_two_close_labels_ask_a_clarifying_question():
    d = decide(_scores(("card_lost", 0.35, 0.7), ("card_stolen", 0.33, 0.68), ("pin", 0.02, 0.4)))
    assert d.action == "clarify"
    assert [c.id for c in d.candidates] == ["card_lost", "card_stolen"]
    assert "card_lost" in d.reason and "card_stolen" in d.reason


def test_thresholds_are_admin_tunable():
    scores = _scores(("refund", 0.6, 0.7))
    assert decide(scores).action == "answer"
    strict = BotThresholds(answer_probability=0.8)
    assert decide(scores, (), strict).action != "answer"


def test_article_passage_answers_when_clearly_best():
    hits = [ChunkHit("c1", "a1", "Reset password", 0.8), ChunkHit("c2", "a2", "Billing", 0.5)]
    d = decide((), hits)
    assert d.action == "answer" and d.chosen.id == "c1" and d.label is None


def test_two_articles_equally_close_clarify():
    hits = [ChunkHit("c1", "a1", "Reset password", 0.66), ChunkHit("c2", "a2", "Unlock", 0.65)]
    d = decide((), hits)
    assert d.action == "clarify" and {c.title for c in d.candidates} == {"Reset password", "Unlock"}


def test_chunks_of_one_article_do_not_compete():
    hits = [ChunkHit("c1", "a1", "Reset", 0.8), ChunkHit("c2", "a1", "Reset", 0.79)]
    assert decide((), hits).action == "answer"


def test_nothing_to_go_on_escalates():
    d = decide()
    assert d.action == "escalate" and d.candidates == []
