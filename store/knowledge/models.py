"""Knowledge articles, their searchable chunks, resolution examples, and the change tokens
that tell every process's in-memory index when to look again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, utcnow

ARTICLE_STATUSES = ("published", "draft")
EXAMPLE_STATUSES = ("pending", "approved", "rejected")
EXAMPLE_SOURCES = ("import", "ticket")


class Article(Base):
    """A help article in Markdown. Only published articles are chunked and searchable."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(default=list)
    locale: Mapped[str] = mapped_column(String(20), default="en", index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # Where a bulk import read it from: re-importing the same path updates the article.
    source: Mapped[str | None] = mapped_column(String(1000), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Chunk(Base):
    """One heading section (or part of a long one) of a published article, with its vector.

    Rows are never edited: a changed article gets new chunks and loses its old ones, so a
    chunk id names one fixed text and vector. `digest` covers everything an index copies
    from the row, so a process can tell a stale copy from a current one by (id, digest).
    On SQLite, AUTOINCREMENT keeps ids from being reused after deletes; the FTS5 table
    `kb_chunks_fts` (created by the migration, kept in sync by triggers) indexes heading+text.
    """

    __tablename__ = "kb_chunks"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    heading: Mapped[str] = mapped_column(Text, default="")  # "Title > Section > Subsection"
    text: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(20))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)  # float32 little-endian, L2-normalised
    embedding_model: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResolutionExample(Base):
    """A customer question and what resolved it; approved ones teach the bot."""

    __tablename__ = "resolution_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(200), index=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    source: Mapped[str] = mapped_column(String(10), default="import")
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_model: Mapped[str | None] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(32), default="")
    # A draft learned from a ticket: what the scrubber replaced ({"kind", "placeholder",
    # "original", "start", "end"}, offsets in `answer`/`text` as "field"); the originals are
    # for the reviewer only and are wiped when the draft is approved or rejected.
    redactions: Mapped[list] = mapped_column(default=list)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Revision(Base):
    """A random token per kind ("chunks", "examples"), replaced by every change of that kind.

    Readers compare one short row with the token they last indexed; only when it differs do
    they look at the chunk or example rows. Writers update it first in their transaction, so
    on PostgreSQL concurrent knowledge writes queue behind its row lock.
    """

    __tablename__ = "kb_revisions"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
