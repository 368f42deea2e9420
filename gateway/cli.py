"""`autocrm` command line: serve, worker, db upgrade, user/apikey create, demo seed."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable

from gateway.settings import get_settings
from store import files
from store.db import Database

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def decorate(fn):
        COMMANDS[name] = fn
        return fn

    return decorate


async def _with_db(fn):
    """Run `fn(session)` in one unit of work on a migrated database."""
    from gateway.app import prepare_database

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    files.configure(settings.attachments_dir)
    db = Database(settings.db_url)
    try:
        await prepare_database(db)
        async with db.uow() as session:
            return await fn(session)
    finally:
        await db.dispose()


@command("serve")
def serve(args) -> int:
    import uvicorn

    from gateway.app import create_app

    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        log_level="info",
        # The stdlib loop, not uvloop: same throughput here, but uvloop starves some
        # connections when saturated (bench/ingest.py: p99 380-480 ms vs 40-70 ms on /healthz).
        loop="asyncio",
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    return 0


@command("worker")
def worker(args) -> int:
    from gateway.worker import run_worker

    settings = get_settings()
    if not settings.redis_url:
        print(
            "autocrm worker needs REDIS_URL (without it, jobs run inside `autocrm serve`)",
            file=sys.stderr,
        )
        return 2
    run_worker(settings.redis_url, burst=args.burst)
    return 0


@command("db upgrade")
def db_upgrade(args) -> int:
    from store.migrate import pending, upgrade

    async def run():
        db = Database(get_settings().db_url)
        try:
            await upgrade(db.engine)
            return await pending(db.engine)
        finally:
            await db.dispose()

    current, _ = asyncio.run(run())
    print(f"database at revision {current}")
    return 0


@command("user create")
def user_create(args) -> int:
    from store.staff import service as staff

    async def run(session):
        user = await staff.create_user(
            session,
            email=args.email,
            password=args.password,
            name=args.name or "",
            role="admin" if args.admin else "agent",
        )
        return user.id, user.role

    user_id, role = asyncio.run(_with_db(run))
    print(f"created {role} {args.email} (id {user_id})")
    return 0


@command("apikey create")
def apikey_create(args) -> int:
    from store.staff import service as staff

    async def run(session):
        scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
        _, plain = await staff.create_api_key(session, name=args.name, scopes=scopes)
        return plain

    print(f"API key {args.name!r} (scopes {args.scopes}); it is shown only once:")
    print(asyncio.run(_with_db(run)))  # the key alone on the last line, for scripts
    return 0


@command("demo")
def demo(args) -> int:
    from gateway.demo import seed

    for line in asyncio.run(_with_db(seed)):
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autocrm", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve", help="run the gateway")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    p = sub.add_parser("worker", help="run RQ jobs (needs REDIS_URL)")
    p.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    db = sub.add_parser("db").add_subparsers(dest="sub", required=True)
    db.add_parser("upgrade", help="migrate the database to the newest schema")
    user = sub.add_parser("user").add_subparsers(dest="sub", required=True)
    p = user.add_parser("create")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--name")
    p.add_argument("--admin", action="store_true")
    key = sub.add_parser("apikey").add_subparsers(dest="sub", required=True)
    p = key.add_parser("create")
    p.add_argument("--name", required=True)
    p.add_argument("--scopes", required=True, help="comma-separated, e.g. tickets:read,admin")
    sub.add_parser("demo", help="seed a small demo organisation")
    sub.add_parser("eval", help="eval intents --train TRAIN.jsonl --test TEST.jsonl")
    from gateway.cli_mailbox import add_mailbox_parser  # registers `mailbox add|list`

    add_mailbox_parser(sub, COMMANDS)
    from gateway.cli_kb import add_kb_parsers  # registers `kb import`, `examples import`

    add_kb_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from store.errors import DomainError

    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["eval", "intents"]:  # the harness owns its options and output format
        from agent_graph.eval import main as eval_main

        return eval_main(argv[2:]) or 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    name = f"{args.cmd} {args.sub}" if getattr(args, "sub", None) else args.cmd
    try:
        return COMMANDS[name](args)
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
