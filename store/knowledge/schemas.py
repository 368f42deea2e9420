"""Request and response shapes for knowledge articles and resolution examples."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from store.schemas import Strict

ArticleStatus = Literal["published", "draft"]
ExampleStatus = Literal["pending", "approved", "rejected"]
LOCALE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


def normalise_locale(value: str) -> str:
    """BCP 47 in one spelling: language lower-case, region upper-case ("pt-BR")."""
    parts = value.strip().split("-")
    return "-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]])


def language_of(locale: str) -> str:
    return locale.split("-", 1)[0].lower()


class ArticleCreate(Strict):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=500_000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    locale: str = Field(default="en", pattern=LOCALE_PATTERN, max_length=20)
    status: ArticleStatus = "draft"

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        return normalise_locale(v)

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return sorted({t.strip().lower()[:100] for t in v if t.strip()})


class ArticleUpdate(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, max_length=500_000)
    tags: list[str] | None = Field(default=None, max_length=50)
    locale: str | None = Field(default=None, pattern=LOCALE_PATTERN, max_length=20)
    status: ArticleStatus | None = None

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str | None) -> str | None:
        return None if v is None else normalise_locale(v)

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else sorted({t.strip().lower()[:100] for t in v if t.strip()})


class ArticleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    body: str
    tags: list[str]
    locale: str
    status: str
    source: str | None
    created_at: datetime
    updated_at: datetime


class ExampleCreate(Strict):
    text: str = Field(min_length=1, max_length=5000)
    label: str = Field(min_length=1, max_length=200)
    answer: str = Field(default="", max_length=20_000)
    article_id: int | None = None
    status: ExampleStatus = "pending"


class ExampleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    text: str
    label: str
    answer: str
    article_id: int | None
    status: str
    source: str
    ticket_id: int | None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class DraftRead(ExampleRead):
    """A learned draft for its reviewer (kb:write): what the scrubber replaced, with the
    customer's originals while the draft is pending (never in ExampleRead, which kb:read sees)."""

    redactions: list[dict] = Field(default_factory=list)


class DraftReview(Strict):
    """A reviewer's decision on a learned draft: edit keeps it pending; approve (with any
    edits) makes it teach the bot; reject keeps it out."""

    action: Literal["approve", "edit", "reject"]
    text: str | None = Field(default=None, min_length=1, max_length=5000)
    answer: str | None = Field(default=None, min_length=1, max_length=20_000)
    label: str | None = Field(default=None, min_length=1, max_length=200)
