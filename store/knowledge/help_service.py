"""The help center's reads and writes: categories, where articles sit, translations, votes.

Only published articles ever come out of the reads here: a draft is not in the help center.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from store.actor import Actor
from store.db import utcnow
from store.errors import Conflict, Invalid
from store.knowledge.help import HelpArticleOpen, HelpCategory, HelpPlacement, HelpVote
from store.knowledge.models import Article
from store.knowledge.schemas import language_of
from store.rows import assign, get_or_raise
from store.staff import audit
from store.tickets.models import Message, Ticket


@dataclass(frozen=True)
class Listed:
    """A published article as the help center lists it."""

    article: Article
    category_id: int | None
    position: int


def _published():
    # Lists show titles: the bodies (up to 500 KB each) stay in the database.
    return (
        select(Article, HelpPlacement)
        .options(load_only(Article.id, Article.title, Article.locale, Article.status))
        .outerjoin(HelpPlacement, HelpPlacement.article_id == Article.id)
        .where(Article.status == "published")
    )


def _in_language(locale: str):
    language = language_of(locale)
    return or_(Article.locale == language, Article.locale.like(f"{language}-%"))


async def list_categories(session: AsyncSession) -> list[HelpCategory]:
    rows = await session.scalars(
        select(HelpCategory).order_by(HelpCategory.position, HelpCategory.id)
    )
    return list(rows)


async def get_category(session: AsyncSession, *, category_id: int) -> HelpCategory:
    return await get_or_raise(session, HelpCategory, category_id, "help category")


async def create_category(session: AsyncSession, *, values: dict, actor: Actor) -> HelpCategory:
    if await session.scalar(select(HelpCategory.id).where(HelpCategory.slug == values["slug"])):
        raise Conflict(f"a help category with slug {values['slug']!r} exists")
    category = HelpCategory(**values)
    session.add(category)
    await session.flush()
    audit.record(
        session, "help.category_created", actor=actor, payload={"id": category.id, **values}
    )
    return category


async def update_category(
    session: AsyncSession, *, category_id: int, changes: dict, actor: Actor
) -> HelpCategory:
    category = await get_category(session, category_id=category_id)
    before = {k: getattr(category, k) for k in changes}
    assign(category, changes)
    await session.flush()
    payload = {"id": category_id, "before": before, "after": changes}
    audit.record(session, "help.category_updated", actor=actor, payload=payload)
    return category


async def delete_category(session: AsyncSession, *, category_id: int, actor: Actor) -> None:
    category = await get_category(session, category_id=category_id)
    await session.delete(category)
    await session.flush()
    audit.record(session, "help.category_deleted", actor=actor, payload={"id": category_id})


async def place(
    session: AsyncSession,
    *,
    article_id: int,
    category_id: int | None,
    translation_of: int | None,
    position: int,
    actor: Actor,
) -> HelpPlacement:
    """Put an article in a category (None: uncategorised) and name the article it translates."""
    await get_or_raise(session, Article, article_id, "article")
    if category_id is not None:
        await get_category(session, category_id=category_id)
    if translation_of is not None:
        if translation_of == article_id:
            raise Invalid("an article cannot translate itself")
        await get_or_raise(session, Article, translation_of, "article")
    row = await session.get(HelpPlacement, article_id) or HelpPlacement(article_id=article_id)
    assign(
        row, {"category_id": category_id, "translation_of": translation_of, "position": position}
    )
    session.add(row)
    await session.flush()
    payload = {"article_id": article_id, "category_id": category_id}
    payload |= {"translation_of": translation_of, "position": position}
    audit.record(session, "help.article_placed", actor=actor, payload=payload)
    return row


async def get_placement(session: AsyncSession, *, article_id: int) -> HelpPlacement | None:
    return await session.get(HelpPlacement, article_id)


async def locales(session: AsyncSession) -> list[str]:
    """The languages published articles are written in."""
    rows = await session.scalars(
        select(Article.locale).where(Article.status == "published").distinct()
    )
    return sorted({language_of(locale) for locale in rows})


async def list_published(
    session: AsyncSession, *, locale: str, category_id: int | None = None
) -> list[Listed]:
    query = _published().where(_in_language(locale))
    if category_id is not None:
        query = query.where(HelpPlacement.category_id == category_id)
    rows = (await session.execute(query)).all()
    listed = [Listed(a, p.category_id if p else None, p.position if p else 0) for a, p in rows]
    return sorted(listed, key=lambda x: (x.position, x.article.title.lower()))


async def get_published(session: AsyncSession, *, article_id: int) -> Article | None:
    article = await session.get(Article, article_id)
    return article if article is not None and article.status == "published" else None


async def published_by_ids(session: AsyncSession, *, ids: list[int]) -> dict[int, Article]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Article).where(Article.id.in_(ids), Article.status == "published")
    )
    return {a.id: a for a in rows}


async def translations(session: AsyncSession, *, article_id: int) -> dict[str, int]:
    """language -> article id, for the published articles of this article's group (itself
    included): the original and every article that names it as `translation_of`."""
    placement = await session.get(HelpPlacement, article_id)
    root = placement.translation_of if placement and placement.translation_of else article_id
    members = select(HelpPlacement.article_id).where(HelpPlacement.translation_of == root)
    rows = await session.execute(
        select(Article.id, Article.locale).where(
            Article.status == "published", or_(Article.id == root, Article.id.in_(members))
        )
    )
    found: dict[str, int] = {}
    for found_id, locale in sorted(rows.all()):
        found.setdefault(language_of(locale), found_id)
    return found


async def vote(session: AsyncSession, *, article_id: int, voter: str, helpful: bool) -> None:
    """Record (or change) one reader's vote on a published article."""
    if await get_published(session, article_id=article_id) is None:
        raise Invalid(f"article {article_id} is not published")
    row = await session.scalar(
        select(HelpVote).where(HelpVote.article_id == article_id, HelpVote.voter == voter)
    )
    if row is None:
        session.add(HelpVote(article_id=article_id, voter=voter, helpful=helpful))
    else:
        row.helpful, row.updated_at = helpful, utcnow()
    await session.flush()


async def vote_counts(session: AsyncSession, *, article_id: int) -> tuple[int, int]:
    """(helpful, not helpful) for one article."""
    rows = await session.execute(
        select(HelpVote.helpful, func.count())
        .where(HelpVote.article_id == article_id)
        .group_by(HelpVote.helpful)
    )
    counts = dict(rows.all())
    return counts.get(True, 0), counts.get(False, 0)


SETTLE = timedelta(minutes=30)  # an open counts once the visitor has been quiet this long


async def record_open(
    session: AsyncSession, *, article_id: int, conversation: str, now: datetime | None = None
) -> None:
    """A widget visitor opened a suggested (published) article."""
    if await get_published(session, article_id=article_id) is None:
        raise Invalid(f"article {article_id} is not published")
    session.add(
        HelpArticleOpen(article_id=article_id, conversation=conversation, opened_at=now or utcnow())
    )
    await session.flush()


def _wrote_after():
    """The visitor wrote in their conversation after opening the article."""
    return (
        select(Message.id)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(
            Ticket.thread_key == HelpArticleOpen.conversation,
            Message.direction == "in",
            Message.created_at >= HelpArticleOpen.opened_at,
        )
        .exists()
    )


async def deflections(
    session: AsyncSession, *, since: datetime, now: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """article id -> (opens, deflections) for opens since `since` that have settled: a
    deflection is an open after which the visitor did not write."""
    settled = (now or utcnow()) - SETTLE
    deflected = case((_wrote_after(), 0), else_=1)
    rows = await session.execute(
        select(HelpArticleOpen.article_id, func.count(), func.sum(deflected))
        .where(HelpArticleOpen.opened_at >= since, HelpArticleOpen.opened_at <= settled)
        .group_by(HelpArticleOpen.article_id)
    )
    return {article_id: (opens, int(kept or 0)) for article_id, opens, kept in rows.all()}
