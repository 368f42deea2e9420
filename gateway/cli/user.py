"""`autocrm user create`: an agent or admin who signs in to the console."""

from __future__ import annotations

import argparse

from gateway.cli.base import in_session
from store.staff import service as staff


def user_create(args: argparse.Namespace) -> int:
    async def run(session):
        user = await staff.create_user(
            session,
            email=args.email,
            password=args.password,
            name=args.name or "",
            role="admin" if args.admin else "agent",
        )
        return user.id, user.role

    user_id, role = in_session(run)
    print(f"created {role} {args.email} (id {user_id})")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="console users").add_subparsers(dest="sub", required=True)
    p = user.add_parser("create", help="an agent, or an admin with --admin")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--name")
    p.add_argument("--admin", action="store_true")
    p.set_defaults(run=user_create)
