"""Language detection (lingua), the phrasebook, the multilingual neighbour vote and the
precision interval of the intent evaluation: small, fast, no gateway."""

from __future__ import annotations

import numpy as np
import pytest

from agent_graph.eval import bootstrap_interval
from agent_graph.language import detect_language
from agent_graph.multilingual import NeighbourLabels
from agent_graph.phrasebook import answer_in, clarify_question, handoff_text, say


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("How long does shipping take to Canada?", "en"),
        ("¿Cuánto tarda el envío a Canadá?", "es"),
        ("Combien de temps prend la livraison au Canada ?", "fr"),
        ("Wie lange dauert der Versand nach Kanada?", "de"),
        ("Quanto tempo demora o envio para o Canadá?", "pt"),
        ("ok", "en"),  # too short to tell: the default
        ("exchange rate", "en"),
    ],
)
def test_detects_the_language_of_a_question(text, language):
    assert detect_language(text) == language


def test_short_text_keeps_the_given_default():
    assert detect_language("merci", default="fr") == "fr"


def test_phrases_come_in_the_customers_language_or_english():
    assert handoff_text("", "pt").startswith("Obrigado")
    assert handoff_text("We are on it.", "pt") == "We are on it."  # the admin's own words win
    assert say("handoff", "xx") == say("handoff", "en")
    assert clarify_question(["card_lost", "card stolen"], "es") == (
        "¿Se refiere a “card lost” o “card stolen”?"
    )
    assert answer_in("en", "de").startswith("Ich habe die Antwort nur auf Englisch")
    assert answer_in("de", "de") == "" and answer_in("en", "en") == ""


def test_neighbour_vote_names_the_label_of_the_closest_examples():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(3, 16))
    vectors, labels = [], []
    for j, centre in enumerate(centres):
        for _ in range(5):
            v = centre + 0.1 * rng.normal(size=16)
            vectors.append(v / np.linalg.norm(v))
            labels.append(f"label{j}")
    model = NeighbourLabels(neighbours=5)
    model.fit(list(range(15)), labels, np.array(vectors, np.float32))
    query = centres[1] / np.linalg.norm(centres[1])
    top = model.scores(query, k=2)
    assert top[0].label == "label1" and top[0].probability > 0.9
    assert top[0].similarity > 0.9 and labels[top[0].example_id] == "label1"
    assert sum(s.probability for s in model.scores(query, k=3)) == pytest.approx(1.0)


def test_bootstrap_interval_brackets_the_precision():
    rows = [("a", "answer", "a")] * 95 + [("a", "answer", "b")] * 5 + [("oos", "escalate", None)]
    ci = bootstrap_interval(rows)
    low, high = ci["precision_ci95"]
    assert 0.85 < low < 0.95 < high <= 1.0
    assert bootstrap_interval(rows) == ci  # seeded: the same rows, the same interval
