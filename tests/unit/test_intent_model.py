"""The examples classifier on a bag-of-words fake embedder: labels, confidence, warm refits."""

import zlib

import numpy as np
import pytest

from agent_graph.decision import decide
from agent_graph.intent_model import Confidence, Example, IntentModel


class WordsEmbedder:
    """Hashed bag of words, L2-normalised: texts sharing words are similar, others are not."""

    model_id, dim = "words", 256

    def embed(self, texts):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % self.dim] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


TRAIN = {
    "refund": ["i want my money back", "refund my order please", "money back for my order"],
    "track": ["where is my parcel", "track my parcel please", "has my parcel shipped"],
    "password": ["reset my password", "i forgot my password", "password reset link please"],
}


def _examples(labels=TRAIN):
    return [Example(f"{lab}-{i}", t, lab) for lab, ts in labels.items() for i, t in enumerate(ts)]


@pytest.fixture
def model():
    m = IntentModel(WordsEmbedder())
    m.fit(_examples())
    return m


def test_a_close_question_is_answered_with_its_label(model):
    [scores] = model.predict(["please reset my password"])
    assert scores[0].label == "password" and scores[0].example_id.startswith("password-")
    assert decide(scores).label == "password"


def test_labels_come_most_confident_first(model):
    [scores] = model.predict(["where is my parcel"])
    assert [s.label for s in scores][0] == "track"
    assert scores == sorted(scores, key=lambda s: -s.probability)


def test_a_question_far_from_every_example_is_not_answered(model):
    [scores] = model.predict(["recommend a pizza recipe"])
    assert scores[0].similarity < 0.3 and scores[0].probability < 0.1
    assert decide(scores).action == "escalate"


def test_near_neighbours_vote_and_far_labels_are_damped():
    def top(confidence: Confidence, text: str) -> float:
        m = IntentModel(WordsEmbedder(), l2=0.1, confidence=confidence)  # an unsure softmax
        m.fit(_examples())
        return m.predict([text])[0][0].probability

    never_far = -10.0  # a midpoint no similarity is below: no damping
    softmax = Confidence(vote_weight=0.0, far_midpoint=never_far)
    voted, damped = Confidence(far_midpoint=never_far), Confidence(vote_weight=0.0)
    exact = "i forgot my password"  # a stored example: its whole neighbourhood agrees
    assert top(voted, exact) > top(softmax, exact) + 0.05
    far = "recommend a pizza recipe"
    assert top(damped, far) < top(softmax, far) / 2


def test_fewer_examples_than_neighbours_still_predicts():
    m = IntentModel(WordsEmbedder())
    m.fit(_examples({"refund": ["refund my order"], "track": ["track my parcel"]}))
    [scores] = m.predict(["refund my order please"])
    assert scores[0].label == "refund" and len(scores) == 2


def test_add_and_remove_warm_start_from_the_last_weights(model):
    full_fit = model.last_fit["iterations"]
    model.add([Example("password-9", "my password does not work", "password")])
    assert model.last_fit["iterations"] < full_fit
    assert model.predict(["my password does not work"])[0][0].label == "password"
    model.add(
        [Example(f"card-{i}", t, "card") for i, t in enumerate(["my card is lost", "lost card"])]
    )
    assert model.labels == ["card", "password", "refund", "track"]
    assert model.predict(["i lost my card"])[0][0].label == "card"
    model.remove(["card-0", "card-1"])
    assert model.labels == ["password", "refund", "track"]
    assert model.predict(["i lost my card"])[0][0].label != "card"


def _trained_rows(model):
    """The sparse rows a refit trains on, and the same texts featurised afresh."""
    ids = list(model.examples)
    cached = model._tfidf.stack([model._row(i) for i in ids])
    return cached, model._tfidf.transform([model.examples[i].text for i in ids])


def test_warm_refits_train_on_the_current_text_of_every_example(model):
    model.add([Example("refund-0", "reset the password for my order", "password")])  # edited
    model.add([Example("track-9", "parcel refund please", "refund")])
    model.remove(["password-1"])
    cached, fresh = _trained_rows(model)
    assert cached.shape == fresh.shape and (cached != fresh).nnz == 0
    assert model._tfidf.row("reset the password for my order")[0].size > 0
    assert model.examples["refund-0"].label == "password" and "password-1" not in model._rows
