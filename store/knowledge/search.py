"""Lexical search over published chunks in the database itself: SQLite FTS5 or PostgreSQL
full text (an expression GIN index on the same `to_tsvector` the query uses)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from store.knowledge.schemas import language_of

_WORD = re.compile(r"\w+", re.UNICODE)
# Words that match nearly every passage: leaving them out keeps the OR-query small and fast.
_STOP_WORDS = (
    "a an and are as at be but by can could did do does for from had has have how i if in "
    "into is it its me my no not of on or our so than that the their them then there these "
    "they this to was we were what when where which who why will with would you your"
)
_STOP = frozenset(_STOP_WORDS.split())
MAX_TERMS = 24
# A word found in this many passages or more says little about any of them, and ranking every
# passage it matches is what makes an OR-query slow on a large knowledge base: it is left out.
COMMON_AT = 1000
# The migration creates the PostgreSQL index on exactly this expression.
PG_VECTOR = "to_tsvector('english', heading || ' ' || text)"


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: int
    article_id: int
    title: str
    heading: str
    text: str
    locale: str
    embedding: bytes
    rank: int  # 1 = best


def query_terms(query: str) -> list[str]:
    """Distinct lower-cased words worth searching for, in order of appearance."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if len(word) > 1 and word not in _STOP and "_" not in word:
            seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


def _locale_filter(language: str | None) -> tuple[str, dict]:
    if not language:
        return "", {}
    return " AND (c.locale = :lang OR c.locale LIKE :lang_prefix)", {
        "lang": language,
        "lang_prefix": f"{language}-%",
    }


async def search_chunks(
    session: AsyncSession, query: str, *, locale: str | None = None, limit: int = 20
) -> list[LexicalHit]:
    """Chunks matching any of the query's words, best first (BM25 / ts_rank_cd)."""
    sqlite = session.bind.dialect.name == "sqlite"
    terms = await _informative(session, query_terms(query), sqlite)
    if not terms:
        return []
    where, params = _locale_filter(language_of(locale) if locale else None)
    cols = "c.id, c.article_id, c.title, c.heading, c.text, c.locale, c.embedding"
    if sqlite:
        # Each word quoted: a literal FTS5 string, so no word is read as query syntax.
        params["q"] = " OR ".join(f'"{t}"' for t in terms)
        sql = (
            f"SELECT {cols} FROM kb_chunks_fts f JOIN kb_chunks c ON c.id = f.rowid "
            f"WHERE kb_chunks_fts MATCH :q{where} ORDER BY bm25(kb_chunks_fts, 2.0, 1.0) "
            "LIMIT :limit"
        )
    else:
        params["q"] = " | ".join(terms)  # \w+ words only: nothing to_tsquery would parse
        sql = (
            f"SELECT {cols} FROM kb_chunks c, to_tsquery('english', :q) q "
            f"WHERE {PG_VECTOR} @@ q{where} ORDER BY ts_rank_cd({PG_VECTOR}, q) DESC, c.id "
            "LIMIT :limit"
        )
    rows = (await session.execute(text(sql), params | {"limit": limit})).all()
    return [LexicalHit(*row, rank=i) for i, row in enumerate(rows, start=1)]


async def _informative(session: AsyncSession, terms: list[str], sqlite: bool) -> list[str]:
    """The terms found in fewer than COMMON_AT passages (one statement, each count capped)."""
    if not terms:
        return []
    if sqlite:
        match = "SELECT 1 FROM kb_chunks_fts WHERE kb_chunks_fts MATCH :t{i}"
        quote = '"{}"'
    else:
        match = f"SELECT 1 FROM kb_chunks WHERE {PG_VECTOR} @@ to_tsquery('english', :t{{i}})"
        quote = "{}"
    parts = [
        f"SELECT {i} AS i, count(*) AS n FROM ({match.format(i=i)} LIMIT :cap) AS s{i}"
        for i in range(len(terms))
    ]
    params = {f"t{i}": quote.format(t) for i, t in enumerate(terms)} | {"cap": COMMON_AT}
    rows = (await session.execute(text(" UNION ALL ".join(parts)), params)).all()
    common = {i for i, n in rows if n >= COMMON_AT}
    return [t for i, t in enumerate(terms) if i not in common]


def snippet(body: str, query: str, *, width: int = 200) -> str:
    """A window of `body` around the first query word found (its start when none is)."""
    flat = " ".join(body.split())
    lower = flat.lower()
    found = [i for t in query_terms(query) if (i := lower.find(t)) >= 0]
    start = max(0, min(found) - width // 4) if found else 0
    piece = flat[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")
