"""Benchmark: the assignment decision (store.assignment.service.assign) with 200 agents across
10 teams and 10,000 open tickets (9,000 assigned, 1,000 waiting in the team queues).

Run: python -m bench.assign [--decisions 1000] [--postgres postgresql://postgres@127.0.0.1:5432]
SQLite (a temporary file) always; PostgreSQL too when a server URL is given (a throwaway
database is created and dropped). Each decision is one transaction as the outbox job runs it:
lock the ticket, match 10 routing rules, read the team's online agents and their loads, lock
and re-count the chosen agent, write the assignment and its event, commit. Agents pulling the
next ticket from the queues are timed the same way. The data is written straight into the
tables (setup, not measured). Prints p50/p99 and the spread of the new tickets over agents.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta

import numpy as np
from sqlalchemy import func, insert, select

from store.actor import SYSTEM
from store.agent.models import RoutingRule
from store.assignment import service as assignment
from store.assignment.models import AssignmentSettings, QueuedTicket
from store.db import Database, utcnow
from store.migrate import upgrade
from store.staff.models import Team, User, team_members
from store.tickets.models import Ticket

TEAMS, AGENTS, ASSIGNED, WAITING = 10, 200, 9_000, 1_000
INTENTS = ("refund", "shipping", "login", "billing", "returns", "warranty")
LANGUAGES = ("en", "es", "de", "fr")
rng = random.Random(7)


def _users(now) -> list[dict]:
    return [
        {
            "email": f"agent{i}@bench.example",
            "name": f"Agent {i}",
            "password_hash": "-",
            "role": "agent",
            "skills": rng.sample(INTENTS, 2),
            "languages": ["en", *rng.sample(LANGUAGES[1:], 1)],
            "capacity": 100,
            "capacities": {"email": 70, "chat": 5},
            "is_active": True,
            "presence": "online",
            "presence_seen_at": now,
            "presence_active_at": now,
            "created_at": now,
        }
        for i in range(AGENTS)
    ]


def _ticket(n: int, now, **values) -> dict:
    channel = "webchat" if n % 20 == 0 else "email"
    return {
        "subject": f"question {n}",
        "status": "open",
        "status_category": "open",
        "priority": rng.choice(("low", "normal", "normal", "high", "urgent")),
        "channel": channel,
        "owner": "human",
        "custom_fields": {},
        "created_at": now - timedelta(minutes=n % 600),
        "updated_at": now,
        **values,
    }


async def populate(db: Database) -> None:
    now = utcnow()
    async with db.uow() as session:
        await session.execute(insert(Team), [{"name": f"Team {t}"} for t in range(TEAMS)])
        await session.execute(insert(User), _users(now))
        teams = list(await session.scalars(select(Team.id).order_by(Team.id)))
        users = list(await session.scalars(select(User.id).order_by(User.id)))
        members = [{"team_id": teams[i % TEAMS], "user_id": u} for i, u in enumerate(users)]
        await session.execute(insert(team_members), members)
        rules = [
            {"name": f"to team {t}", "position": t, "team_id": teams[t], "enabled": True,
             "conditions": {"tags": [f"team{t}"]}}
            for t in range(TEAMS)
        ]  # fmt: skip
        await session.execute(insert(RoutingRule), rules)
        session.add(AssignmentSettings(id=1, default_team_id=teams[0], capacities={}))
        assigned = [
            _ticket(n, now, assignee_id=users[n % AGENTS], team_id=teams[n % AGENTS % TEAMS])
            for n in range(ASSIGNED)
        ]
        waiting = [_ticket(n, now, team_id=teams[n % TEAMS]) for n in range(WAITING)]
        await session.execute(insert(Ticket), assigned + waiting)
        ids = await session.scalars(select(Ticket.id).where(Ticket.assignee_id.is_(None)))
        queue = [
            {"ticket_id": i, "team_id": teams[i % TEAMS], "kind": "email", "reason": "bench",
             "queued_at": now - timedelta(seconds=i)}
            for i in ids
        ]  # fmt: skip
        await session.execute(insert(QueuedTicket), queue)


def _facts(n: int) -> dict:
    return {
        "text": "I need help with my order",
        "intent": rng.choice(INTENTS),
        "language": rng.choice(LANGUAGES),
        "channel": "email",
        "tags": [f"team{n % TEAMS}"],
        "priority": "normal",
    }


async def decisions(db: Database, count: int) -> tuple[list[float], Counter]:
    millis, got = [], Counter()
    for n in range(count):
        async with db.uow() as session:
            row = _ticket(10_000 + n, utcnow(), owner="bot")
            ticket_id = (await session.execute(insert(Ticket).returning(Ticket.id), [row])).scalar()
        started = time.perf_counter()
        async with db.uow() as session:
            outcome = await assignment.assign(
                session, ticket_id=ticket_id, reason="bench", actor=SYSTEM, facts=_facts(n)
            )
        millis.append((time.perf_counter() - started) * 1000)
        got[outcome.user_id] += 1
    return millis, got


async def pulls(db: Database, count: int) -> list[float]:
    async with db.read() as session:
        users = list(await session.scalars(select(User.id).order_by(User.id)))
    millis = []
    for n in range(count):
        started = time.perf_counter()
        async with db.uow() as session:
            await assignment.pull_next(session, user_id=users[n % len(users)], actor=SYSTEM)
        millis.append((time.perf_counter() - started) * 1000)
    return millis


def summary(millis: list[float]) -> str:
    p50, p99 = np.percentile(millis, [50, 99])
    return f"p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {max(millis):.2f} ms  (n={len(millis)})"


async def bench(url: str, label: str, count: int) -> None:
    db = Database(url)
    try:
        await upgrade(db.engine)
        started = time.perf_counter()
        await populate(db)
        async with db.read() as session:
            open_tickets = await session.scalar(select(func.count(Ticket.id)))
        print(f"{label}: {open_tickets} open tickets, {AGENTS} agents in {TEAMS} teams "
              f"(setup {time.perf_counter() - started:.1f} s)")  # fmt: skip
        millis, got = await decisions(db, count)
        print(f"  assign (one transaction each):  {summary(millis)}")
        spread = sorted(got[u] for u in got if u is not None)
        print(f"  {sum(spread)} assigned to {len(spread)} agents, {got[None]} queued; "
              f"per agent min {spread[0]} max {spread[-1]}")  # fmt: skip
        print(f"  pull_next from the queues:     {summary(await pulls(db, 200))}")
    finally:
        await db.dispose()


async def with_postgres(server: str, count: int) -> None:
    import asyncpg

    name = f"autocrm_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{server}/{name}".replace("postgresql://", "postgresql+asyncpg://")
        await bench(url, "PostgreSQL", count)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def main(count: int, postgres: str | None) -> None:
    path = tempfile.mkdtemp(prefix="assign-bench-")
    await bench(f"sqlite+aiosqlite:///{path}/autocrm.db", "SQLite", count)
    if postgres:
        await with_postgres(postgres.rstrip("/"), count)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decisions", type=int, default=1000)
    parser.add_argument("--postgres", default=None, help="a server URL, e.g. postgresql://...")
    args = parser.parse_args()
    asyncio.run(main(args.decisions, args.postgres))
