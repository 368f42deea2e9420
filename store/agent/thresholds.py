"""The bot's confidence thresholds: admin-edited settings that the agent's policy reads."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BotThresholds(BaseModel):
    """Admin-editable confidence thresholds (defaults tuned on CLINC150 val + Banking77 train).

    A wrong answer costs more than an escalation, so answering needs both a confident classifier
    (probability) and a close past example (similarity): the second guard catches off-topic
    questions that a softmax still assigns confidently to some label.
    """

    # 0.53 (was 0.44): IntentModel's confidence now blends in the nearest examples' vote and
    # damps far labels, a new scale. Chosen on 5-fold Banking77 train and CLINC150 val as the
    # highest Banking77 auto-resolution that keeps precision at least the old default's:
    # Banking77 auto/precision 0.886/0.964 -> 0.902/0.966; CLINC150 0.894/0.986 -> 0.895/0.986,
    # off-topic escalated 0.97 -> 0.98. (0.52 gained 0.25 points with no precision margin left.)
    # Margin (issue 17), measured on the dev splits (`autocrm eval intents --sweep`, read at
    # values chosen elsewhere): Banking77 at 0.715 (2 of 5 train folds, target 0.985) precision
    # 0.980 [0.972, 0.987], auto 0.854; CLINC150 at 0.53 0.974 [0.967, 0.981], auto 0.901,
    # off-topic 0.945; at 0.65 (CLINC150 val, target 0.99) 0.984 [0.979, 0.990], auto 0.845.
    # No value gives both precision >= 0.98 and the auto-resolution goals with this classifier,
    # so the default stays; a deployment calibrates on its own examples (`--calibrate K`).
    answer_probability: float = Field(0.53, ge=0, le=1)
    answer_similarity: float = Field(0.45, ge=-1, le=1)
    clarify_probability: float = Field(0.12, ge=0, le=1)
    clarify_similarity: float = Field(0.55, ge=-1, le=1)
    clarify_mass: float = Field(0.5, ge=0, le=1)
    max_clarify_options: int = Field(3, ge=2, le=5)
    chunk_answer_similarity: float = Field(0.62, ge=-1, le=1)
    chunk_margin: float = Field(0.05, ge=0, le=1)
    chunk_clarify_similarity: float = Field(0.5, ge=-1, le=1)
    # Questions in another language go through the multilingual encoder (agent_graph.multilingual):
    # its own scale. Probability = the nearest examples' vote; similarities = cosines of the
    # multilingual vectors. Examples: chosen on the translated dev probe (bench/multilingual.py).
    # Passages: a question and the passage that answers it in another language meet at a
    # cosine of 0.35-0.5, unrelated ones stay under 0.15 (tests/agent fixtures, demo articles):
    # a hand-set floor with a wide margin, not yet measured on a translated retrieval set.
    # 0.9 / 0.5 on the probe (221 es/fr/de/pt questions against Banking77 and CLINC150 train):
    # precision 0.973, auto-resolution 0.651, off-topic escalated 1.0; 0.7 / 0.6 gave
    # 0.921 / 0.699 / 0.982 (the vote is sure less often than it is right across languages).
    multilingual_answer_probability: float = Field(0.9, ge=0, le=1)
    multilingual_answer_similarity: float = Field(0.5, ge=-1, le=1)
    multilingual_chunk_answer_similarity: float = Field(0.35, ge=-1, le=1)
    multilingual_chunk_margin: float = Field(0.08, ge=0, le=1)

    def multilingual(self) -> BotThresholds:
        """These thresholds with the multilingual ones in the places `decide` reads."""
        return self.model_copy(
            update={
                "answer_probability": self.multilingual_answer_probability,
                "answer_similarity": self.multilingual_answer_similarity,
                "clarify_similarity": self.multilingual_answer_similarity,
                "chunk_answer_similarity": self.multilingual_chunk_answer_similarity,
                "chunk_margin": self.multilingual_chunk_margin,
                "chunk_clarify_similarity": self.multilingual_chunk_answer_similarity - 0.1,
            }
        )
