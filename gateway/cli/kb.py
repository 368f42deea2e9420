"""`autocrm kb import PATH` and `autocrm examples import FILE`: bulk knowledge, with progress."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from gateway.cli.base import CLI_ACTOR, with_database
from gateway.cli.progress import Progress
from store.db import Database
from store.errors import Invalid


async def import_knowledge(db: Database, path: Path, *, locale: str, status: str) -> Counter:
    """One transaction per file: an interrupted import keeps what it did and a rerun
    finishes it (files imported before are matched by path and updated, not duplicated)."""
    from agent_graph.retrieval import shared_embedder  # the model loads only for imports
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


def kb_import(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        raise Invalid(f"{path} does not exist: give a file or a directory of articles")

    async def run(db: Database) -> Counter:
        return await import_knowledge(db, path, locale=args.locale, status=args.status)

    counts = with_database(run)
    print(", ".join(f"{counts[k]} {k}" for k in ("created", "updated", "unchanged")))
    return 0


def read_jsonl(path: Path) -> list[dict]:
    """The rows of a JSONL file (blank lines skipped); a bad line is named by its number."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise Invalid(f"{path}:{n} is not JSON: {exc.msg}") from None
    return rows


async def import_examples_file(db: Database, path: Path, *, status: str):
    from agent_graph.retrieval import shared_embedder
    from store.knowledge import examples

    rows = read_jsonl(path)
    progress = Progress(1, f"examples import ({len(rows)} rows)")
    async with db.uow() as session:
        result = await examples.import_rows(
            session, rows=rows, status=status, actor=CLI_ACTOR, embedder=shared_embedder()
        )
    progress.step()
    progress.close()
    return result


def examples_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise Invalid(f"{path} is not a file: give a JSONL file of past resolutions")

    async def run(db: Database):
        return await import_examples_file(db, path, status=args.status)

    result = with_database(run)
    print(f"{result.created} created, {result.skipped} skipped (already stored)")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="sub", required=True)
    p = kb.add_parser("import", help="import .md/.markdown/.html/.htm/.txt files")
    p.add_argument("path", help="a file or a directory (searched recursively)")
    p.add_argument("--locale", default="en", help="locale of the articles (default en)")
    p.add_argument("--status", default="published", choices=["published", "draft"])
    p.set_defaults(run=kb_import)
    ex = sub.add_parser("examples", help="resolution examples").add_subparsers(
        dest="sub", required=True
    )
    p = ex.add_parser("import", help='JSONL of {"text", "label", "answer"} from past tickets')
    p.add_argument("file")
    p.add_argument("--status", default="approved", choices=["approved", "pending"])
    p.set_defaults(run=examples_import)
