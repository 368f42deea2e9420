"""The `autocrm` console script, run for real from a fresh, empty directory on the embedded
default (./var/autocrm.db): each command works there and leaves the rows it says it made."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import func, select

from store.config import accounts
from store.db import Database
from store.knowledge import examples
from store.knowledge import service as kb
from store.migrate import pending
from store.outbox.models import Event
from store.staff import service as staff
from store.tickets.models import Ticket

AUTOCRM = shutil.which("autocrm", path=str(Path(sys.executable).parent)) or "autocrm"
MAILBOX = [
    "mailbox", "add", "--address", "Help@Shop.example", "--name", "Shop help",
    "--imap-host", "imap.shop.invalid", "--imap-port", "993", "--imap-user", "help",
    "--imap-password", "imap-pw-42", "--smtp-host", "smtp.shop.invalid", "--smtp-port", "587",
    "--smtp-user", "help", "--smtp-password", "smtp-pw-42",
]  # fmt: skip


async def autocrm(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the console script in `cwd` with no database, Redis or AUTOCRM_* settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL"} and not k.startswith("AUTOCRM_")
    }
    return await asyncio.to_thread(
        subprocess.run,
        [AUTOCRM, *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def ok(done: subprocess.CompletedProcess) -> list[str]:
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


@asynccontextmanager
async def sqlite_in(cwd: Path):
    """A session on the SQLite file the command made under cwd/var."""
    path = cwd / "var" / "autocrm.db"
    assert path.is_file(), f"no database at {path}"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.uow() as session:
            yield session
    finally:
        await db.dispose()


async def test_db_upgrade_makes_the_data_dir_and_migrates_to_head(tmp_path):
    lines = ok(await autocrm(tmp_path, "db", "upgrade"))
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'var' / 'autocrm.db'}")
    try:
        current, head = await pending(db.engine)
    finally:
        await db.dispose()
    assert current == head and lines[-1] == f"database at revision {head}"


async def test_user_and_api_key_created_from_a_fresh_dir(tmp_path):
    user = ["user", "create", "--email", "Ann@Shop.example", "--password", "long enough pw"]
    assert "created admin" in ok(await autocrm(tmp_path, *user, "--admin", "--name", "Ann"))[-1]
    key = ok(await autocrm(tmp_path, "apikey", "create", "--name", "ci", "--scopes", "admin"))[-1]
    async with sqlite_in(tmp_path) as session:
        ann = await staff.authenticate(session, email="ann@shop.example", password="long enough pw")
        row = await staff.verify_api_key(session, key=key)
    assert (ann.role, ann.name) == ("admin", "Ann")
    assert (row.name, list(row.scopes)) == ("ci", ["admin"])


async def test_demo_seeds_people_tickets_widget_and_articles(tmp_path):
    lines = ok(await autocrm(tmp_path, "demo"))
    assert "user admin@demo.autocrm / demo-password (admin)" in lines
    async with sqlite_in(tmp_path) as session:
        admin = await staff.get_user_by_email(session, email="admin@demo.autocrm")
        tickets = await session.scalar(select(func.count()).select_from(Ticket))
        [widget] = await accounts.list_accounts(session, channel="webchat")
        articles = await kb.list_articles(session)
    assert admin.role == "admin" and tickets == 3 and widget.address == "demo-widget-key"
    assert {a.title for a in articles} >= {"Reset your password", "Shipping and delivery times"}


async def test_mailbox_add_stores_the_account_without_connecting(tmp_path):
    lines = ok(await autocrm(tmp_path, *MAILBOX))
    assert lines[-1].startswith("added mailbox help@shop.example (account 1)")
    assert "pw-42" not in "".join(lines)
    async with sqlite_in(tmp_path) as session:
        [row] = await accounts.list_accounts(session, channel="email")
        [event] = await session.scalars(select(Event).where(Event.type.like("channel.%")))
    assert (row.name, row.address, row.config["imap_host"]) == (
        "Shop help",
        "help@shop.example",
        "imap.shop.invalid",
    )
    assert row.secrets == {"imap_password": "imap-pw-42", "smtp_password": "smtp-pw-42"}
    assert "pw-42" not in json.dumps(row.config) and "pw-42" not in json.dumps(event.after)
    assert (event.type, event.actor_name) == ("channel.account.created", "autocrm cli")

    again = await autocrm(tmp_path, *MAILBOX)
    assert again.returncode == 1 and "already configured" in again.stderr
    bad = await autocrm(tmp_path, *[a if a != "Help@Shop.example" else "help" for a in MAILBOX])
    assert bad.returncode == 1 and "config.address" in bad.stderr


async def test_kb_import_reads_a_directory_of_markdown(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text("# Returns\n\nItems go back within 30 days.\n")
    (docs / "shipping.md").write_text("# Shipping\n\nWe ship to Canada in 5 days.\n")
    assert ok(await autocrm(tmp_path, "kb", "import", "docs"))[-1] == (
        "2 created, 0 updated, 0 unchanged"
    )
    async with sqlite_in(tmp_path) as session:
        articles = await kb.list_articles(session)
    assert sorted((a.title, a.status) for a in articles) == [
        ("Returns", "published"),
        ("Shipping", "published"),
    ]
    missing = await autocrm(tmp_path, "kb", "import", "no-such-dir")
    assert missing.returncode == 1 and "no-such-dir does not exist" in missing.stderr


async def test_examples_import_reads_jsonl(tmp_path):
    rows = [
        {"text": "where is my parcel", "label": "tracking", "answer": "Track it at /track."},
        {"text": "I was charged twice", "label": "refund", "answer": "We refund one charge."},
    ]
    (tmp_path / "past.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    lines = ok(await autocrm(tmp_path, "examples", "import", "past.jsonl"))
    assert lines[-1] == "2 created, 0 skipped (already stored)"
    async with sqlite_in(tmp_path) as session:
        stored = await examples.list_examples(session, status="approved")
    assert sorted(e.label for e in stored) == ["refund", "tracking"]
    (tmp_path / "bad.jsonl").write_text('{"text": "hi"}\nnot json\n')
    bad = await autocrm(tmp_path, "examples", "import", "bad.jsonl")
    assert bad.returncode == 1 and "bad.jsonl:2 is not JSON" in bad.stderr
