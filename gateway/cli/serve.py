"""`autocrm serve` (the gateway) and `autocrm worker` (RQ jobs, when REDIS_URL is set)."""

from __future__ import annotations

import argparse
import sys

from gateway.settings import get_settings, prepare_data_dir


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app

    prepare_data_dir(get_settings())
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


def worker(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.redis_url:
        print(
            "autocrm worker needs REDIS_URL (without it, jobs run inside `autocrm serve`)",
            file=sys.stderr,
        )
        return 2
    from gateway.outbox.worker import run_worker

    prepare_data_dir(settings)  # jobs write attachments there, and the SQLite file if embedded
    run_worker(settings.redis_url, burst=args.burst)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the gateway")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    p.set_defaults(run=serve)
    p = sub.add_parser("worker", help="run RQ jobs (needs REDIS_URL)")
    p.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    p.set_defaults(run=worker)
