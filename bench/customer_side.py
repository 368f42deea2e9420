"""Benchmark: the customer's side in-process on SQLite — help center pages and search over
300 published articles, a portal ticket list, and erasing a contact with 200 tickets.

Run: python -m bench.customer_side [--articles 300] [--tickets 200] [--rounds 200]. Requests
go through the whole ASGI app (routing, templates, database) with httpx, no network. Search
pays for a real question embedding and the bot's fused retrieval. Prints p50/p99 per page and
the erasure's wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from agent_graph.retrieval import shared_embedder
from store.actor import SYSTEM
from store.contacts import service as contacts
from store.db import Database
from store.knowledge import service as kb
from store.knowledge.schemas import ArticleCreate
from store.messages import Identity, InboundMessage
from store.migrate import upgrade
from store.privacy.erase import erase_contact
from store.tickets.ingest import ingest_batch
from tests.gateway_fixtures import make_settings, running_app

TOPICS = [
    "password",
    "invoice",
    "refund",
    "shipping",
    "delivery",
    "parcel",
    "subscription",
    "login",
    "export",
    "team",
]
QUERIES = ["I forgot my password", "where is my parcel", "refund for a double charge"]


async def _articles(app, n: int) -> list[int]:
    ids = []
    embedder = shared_embedder()
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        body = (
            f"## About {topic}\nHow {topic} works, case {i}.\n\n## When {topic} fails\nTry again."
        )
        data = ArticleCreate(title=f"{topic.title()} guide {i}", body=body, status="published")
        async with app.state.db.uow() as session:
            ids.append((await kb.create(session, data=data, actor=SYSTEM, embedder=embedder)).id)
    return ids


async def _customer(db: Database, tickets: int) -> int:
    batch = [
        InboundMessage(
            channel="email",
            external_id=uuid.uuid4().hex,
            thread_key=f"t{i}",
            sender=Identity("email", "ann@customer.example", "Ann"),
            text=f"Message {j} of {i}",
        )  # fmt: skip
        for i in range(tickets)
        for j in range(5)
    ]
    async with db.uow() as session:
        await ingest_batch(session, batch)
        contact = await contacts.get_by_identity(
            session, kind="email", value="ann@customer.example"
        )
        return contact.id


async def _time(client, paths: list[str], rounds: int) -> tuple[float, float]:
    took = []
    for i in range(rounds):
        start = time.perf_counter()
        answer = await client.get(paths[i % len(paths)])
        took.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, answer.status_code
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.99) - 1]


async def main(articles: int, tickets: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_app(make_settings(Path(tmp), None)) as app:
            ids = await _articles(app, articles)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                pages = {
                    "help home": ["/help"],
                    "article": [f"/help/articles/{i}" for i in ids],
                    "search": [f"/help/search?q={q.replace(' ', '+')}" for q in QUERIES],
                }
                await _time(client, ["/help", "/help/search?q=warm+up"], 2)
                for name, paths in pages.items():
                    p50, p99 = await _time(client, paths, rounds)
                    print(f"{name:10s} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({articles} articles)")
        await _erase(Path(tmp) / "erase.db", tickets)


async def _erase(path: Path, tickets: int) -> None:
    """On a database of its own: no dispatcher running the bot on the customer's messages."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db.engine)
    contact_id = await _customer(db, tickets)
    start = time.perf_counter()
    async with db.uow() as session:
        done = await erase_contact(session, contact_id=contact_id, actor=SYSTEM)
    took = (time.perf_counter() - start) * 1000
    print(f"erase      {took:6.0f} ms  ({done.tickets} tickets, {done.messages} messages)")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.articles, args.tickets, args.rounds))
