"""Benchmark: `agent_graph.retrieval.retrieve` over 50,000 stored chunks (SQLite or PostgreSQL).

Run: python -m bench.kb_retrieval [--chunks 50000] [--database-url URL]. Chunks are written
straight into the tables with random unit vectors and text: 10 of 46 support words plus 50
Zipf-distributed made-up words per passage (so
full-text search has work to do); embedding 50,000 real passages would take minutes and is not
what this measures. Each query pays for a real question embedding, the change-token check,
the vector top-k, the full-text query and the fusion; then the same with a four-turn
conversation before each question (what the bot reads on a follow-up: two embeddings in one
batch, two full-text queries). Prints load time and p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

import numpy as np
from sqlalchemy import insert

from agent_graph.query import AGENT, CUSTOMER, Turn
from agent_graph.retrieval import index_for, retrieve, shared_embedder
from store.db import Database, utcnow
from store.knowledge.models import Article, Chunk
from store.knowledge.service import digest, touch
from store.migrate import upgrade

VOCABULARY = (
    "account password reset link email invoice refund charge card payment order shipping "
    "delivery parcel tracking address return exchange warranty repair subscription plan "
    "upgrade cancel trial login device app update error sync export import report team "
    "admin permission security code phone sms notification language region tax receipt"
)
WORDS = VOCABULARY.split()
# Plus 20,000 made-up words drawn by Zipf's law, as in real prose: a few words are in many
# passages, most in few (a 46-word vocabulary would put every query word in every passage).
RARE = np.array([f"w{i}x" for i in range(20_000)])
QUERIES = [
    "my reset link expired",
    "I was charged twice for one order",
    "how long does delivery take",
    "cancel my subscription before the trial ends",
    "the app shows a sync error",
    "change the billing address on my invoice",
]
# The conversation a follow-up is read with (agent_graph.query): a second embedding in the
# same batch and a second full-text search.
HISTORY = [
    Turn(CUSTOMER, "Hi, I ordered a phone case last week and paid by card"),
    Turn(AGENT, "Thanks! Orders ship within two days; the tracking link is in your email."),
    Turn(CUSTOMER, "The tracking page says the parcel is waiting at the depot"),
    Turn(AGENT, "Then it goes out with the next delivery round, usually the next morning."),
]


async def _fill(db: Database, n: int, per_article: int = 50) -> None:
    rng = np.random.default_rng(0)
    model, now = shared_embedder().model_id, utcnow()
    async with db.uow() as session:
        await touch(session, "chunks")
        for a in range(n // per_article):
            title = f"Article {a} about {' '.join(rng.choice(WORDS, 2))}"
            article_id = (
                await session.execute(
                    insert(Article)
                    .values(
                        title=title,
                        body="",
                        tags=[],
                        locale="en",
                        status="published",
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(Article.id)
                )
            ).scalar_one()
            vecs = rng.normal(size=(per_article, 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            rows = []
            for i, vec in enumerate(vecs):
                ranks = np.minimum(rng.zipf(1.3, 50), len(RARE)) - 1
                text = " ".join([*rng.choice(WORDS, 10), *RARE[ranks]])
                heading = f"{title} > Section {i}"
                rows.append(
                    dict(
                        article_id=article_id,
                        position=i,
                        title=title,
                        heading=heading,
                        text=text,
                        locale="en",
                        embedding=vec.tobytes(),
                        embedding_model=model,
                        digest=digest(article_id, i, text),
                        created_at=now,
                    )
                )
            await session.execute(insert(Chunk), rows)


def _pcts(millis: list[float]) -> str:
    p50, p99 = np.percentile(millis, [50, 99])
    return f"p50 {p50:.2f} ms  p99 {p99:.2f} ms  ({1000 / np.mean(millis):.0f}/s)"


async def bench(url: str | None, n: int, rounds: int) -> None:
    url = url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='kb-bench-')}/kb.db"
    db = Database(url)
    await upgrade(db.engine)
    started = time.perf_counter()
    await _fill(db, n)
    print(f"write {n} chunks (+FTS index): {time.perf_counter() - started:.1f} s")
    shared_embedder().inner.embed(["warm up"])
    started = time.perf_counter()
    await index_for(db).refresh(db)
    print(f"first index load from the database: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    for _ in range(50):
        await index_for(db).refresh(db)
    print(f"refresh with nothing new (token check): {(time.perf_counter() - started) * 20:.2f} ms")
    for label, history in (("latest message only", []), ("with 4 earlier turns", HISTORY)):
        millis = []
        for r in range(rounds):
            t0 = time.perf_counter()
            found = await retrieve(db, QUERIES[r % len(QUERIES)], history=history, locale="en", k=8)
            millis.append((time.perf_counter() - t0) * 1000)
            assert len(found.passages) == 8
        print(
            f"retrieve() over {n} chunks, {rounds} queries, {label} "
            f"({db.engine.dialect.name}): {_pcts(millis)}"
        )
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    asyncio.run(bench(args.database_url, args.chunks, args.rounds))


if __name__ == "__main__":
    main()
