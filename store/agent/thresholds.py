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
    answer_probability: float = Field(0.53, ge=0, le=1)
    answer_similarity: float = Field(0.45, ge=-1, le=1)
    clarify_probability: float = Field(0.12, ge=0, le=1)
    clarify_similarity: float = Field(0.55, ge=-1, le=1)
    clarify_mass: float = Field(0.5, ge=0, le=1)
    max_clarify_options: int = Field(3, ge=2, le=5)
    chunk_answer_similarity: float = Field(0.62, ge=-1, le=1)
    chunk_margin: float = Field(0.05, ge=0, le=1)
    chunk_clarify_similarity: float = Field(0.5, ge=-1, le=1)
