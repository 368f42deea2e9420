"""Request and response shapes for help center categories, placements and votes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from store.schemas import Strict

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class CategoryCreate(Strict):
    slug: str = Field(min_length=1, max_length=100, pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    names: dict[str, str] = Field(default_factory=dict, max_length=50)  # locale -> title
    description: str = Field(default="", max_length=2000)
    position: int = 0


class CategoryUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    names: dict[str, str] | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=2000)
    position: int | None = None


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    slug: str
    name: str
    names: dict[str, str]
    description: str
    position: int


class PlacementUpdate(Strict):
    category_id: int | None = None
    translation_of: int | None = None  # the article this one translates
    position: int = 0


class PlacementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    article_id: int
    category_id: int | None
    translation_of: int | None
    position: int


class VoteCounts(BaseModel):
    article_id: int
    helpful: int
    not_helpful: int
