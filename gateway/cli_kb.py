"""`autocrm kb import PATH` and `autocrm examples import FILE`: bulk knowledge, with progress."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

from gateway.cli import command
from gateway.settings import get_settings
from store.actor import Actor
from store.db import Database

CLI_ACTOR = Actor("system", None, "autocrm cli")


class Progress:
    """A one-line bar on stderr, redrawn in place on a terminal, a line per 10% elsewhere."""

    def __init__(self, total: int, label: str, stream=None, width: int = 30) -> None:
        self.total, self.label, self.width, self.done = max(total, 1), label, width, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_tenth = -1

    def step(self, note: str = "") -> None:
        self.done += 1
        filled = self.width * self.done // self.total
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
        )
        if self.tty:
            self.stream.write(f"\r{line} {note[-40:]:<40}")
        elif (tenth := 10 * self.done // self.total) != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def _database() -> Database:
    from gateway.app import prepare_database

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    await prepare_database(db)
    return db


async def import_knowledge(db: Database, path: Path, *, locale: str, status: str) -> Counter:
    """One transaction per file: an interrupted import keeps what it did and a rerun
    finishes it (files imported before are matched by path and updated, not duplicated)."""
    from agent_graph.retrieval import shared_embedder
    from store.knowledge import service as kb
    from store.knowledge.sources import find_documents, read_document

    files = find_documents(path)
    embedder, counts = shared_embedder(), Counter()
    progress = Progress(len(files), "kb import")
    try:
        for file in files:
            doc = read_document(file)
            async with db.uow() as session:
                outcome = await kb.import_document(
                    session,
                    source=doc.source,
                    title=doc.title,
                    body=doc.body,
                    locale=locale,
                    status=status,
                    actor=CLI_ACTOR,
                    embedder=embedder,
                )
            counts[outcome] += 1
            progress.step(file.name)
    finally:
        progress.close()
    return counts


@command("kb import")
def kb_import(args) -> int:
    async def run():
        db = await _database()
        try:
            return await import_knowledge(
                db, Path(args.path), locale=args.locale, status=args.status
            )
        finally:
            await db.dispose()

    counts = asyncio.run(run())
    print(", ".join(f"{counts[k]} {k}" for k in ("created", "updated", "unchanged")))
    return 0


async def import_examples_file(db: Database, path: Path, *, status: str):
    from agent_graph.retrieval import shared_embedder
    from store.errors import Invalid
    from store.knowledge import examples

    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise Invalid(f"{path}:{n} is not JSON: {exc.msg}") from None
    progress = Progress(1, f"examples import ({len(rows)} rows)")
    async with db.uow() as session:
        result = await examples.import_rows(
            session, rows=rows, status=status, actor=CLI_ACTOR, embedder=shared_embedder()
        )
    progress.step()
    progress.close()
    return result


@command("examples import")
def examples_import(args) -> int:
    async def run():
        db = await _database()
        try:
            return await import_examples_file(db, Path(args.file), status=args.status)
        finally:
            await db.dispose()

    result = asyncio.run(run())
    print(f"{result.created} created, {result.skipped} skipped (already stored)")
    return 0


def add_kb_parsers(sub: argparse._SubParsersAction) -> None:
    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="sub", required=True)
    p = kb.add_parser("import", help="import .md/.markdown/.html/.htm/.txt files")
    p.add_argument("path", help="a file or a directory (searched recursively)")
    p.add_argument("--locale", default="en", help="locale of the articles (default en)")
    p.add_argument("--status", default="published", choices=["published", "draft"])
    ex = sub.add_parser("examples", help="resolution examples").add_subparsers(
        dest="sub", required=True
    )
    p = ex.add_parser("import", help='JSONL of {"text", "label", "answer"} from past tickets')
    p.add_argument("file")
    p.add_argument("--status", default="approved", choices=["approved", "pending"])
