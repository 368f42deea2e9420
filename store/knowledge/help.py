"""The help center's additions to knowledge articles: categories, where an article sits (and
which article it translates), and the readers' "was this helpful?" votes.

Kept apart from store/knowledge/models.py so the article table itself stays as it is: an
article without a placement row is simply uncategorised and stands alone in its locale.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, utcnow


class HelpCategory(Base):
    """A section of the help center. `names` holds the title per locale ({"es": "Pagos"});
    `name` is shown where a locale has none."""

    __tablename__ = "help_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    names: Mapped[dict] = mapped_column(default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def title_in(self, locale: str) -> str:
        language = locale.split("-", 1)[0].lower()
        return self.names.get(locale) or self.names.get(language) or self.name


class HelpPlacement(Base):
    """Where one article sits: its category, its order there, and the article it translates
    (articles translating the same original form one group the language switcher walks)."""

    __tablename__ = "help_placements"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("help_categories.id", ondelete="SET NULL"), index=True
    )
    translation_of: Mapped[int | None] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class HelpVote(Base):
    """One reader's answer to "was this helpful?"; `voter` is a random id from their cookie,
    so a reader changing their mind replaces their vote instead of adding one."""

    __tablename__ = "help_votes"
    __table_args__ = (UniqueConstraint("article_id", "voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True
    )
    voter: Mapped[str] = mapped_column(String(64))
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpArticleOpen(Base):
    """A widget visitor opened a suggested article. It counts as a deflection once it has
    settled without the visitor writing in their conversation (`conversation` is the web
    chat's thread key) after opening it."""

    __tablename__ = "help_article_opens"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True
    )
    conversation: Mapped[str] = mapped_column(String(100), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
