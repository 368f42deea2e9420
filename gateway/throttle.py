"""Sign-in and new-chat throttles, counted in the database so every gateway process applies
the same limits (store/staff/throttle.py keeps the counts).

Sized so a person who mistypes never meets them: 10 failed sign-ins per account and 50 per
client address in 15 minutes (an office behind one address), 30 new web chats per address in
10 minutes. A refusal names no account: the same words whether the account exists or not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from store.actor import SYSTEM
from store.db import Database
from store.staff import audit, throttle


@dataclass(frozen=True)
class Limit:
    kind: str
    hits: int
    window: timedelta


ACCOUNT = Limit("login-account", 10, timedelta(minutes=15))
ADDRESS = Limit("login-address", 50, timedelta(minutes=15))
NEW_CHATS = Limit("widget-address", 30, timedelta(minutes=10))
KEEP = timedelta(hours=1)  # hits older than every window are dropped


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after} s")
        self.retry_after = retry_after


def client_address(scope: dict) -> str:
    """The caller's address as uvicorn saw it (behind a proxy: set --forwarded-allow-ips)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _wait(session, limit: Limit, value: str) -> int:
    bucket = throttle.bucket(limit.kind, value)
    return await throttle.wait_seconds(
        session, bucket=bucket, limit=limit.hits, window=limit.window
    )


async def check_sign_in(db: Database, *, email: str, address: str) -> None:
    """Raises Throttled while the account or the address has failed too often."""
    async with db.read() as session:
        wait = max(await _wait(session, ACCOUNT, email), await _wait(session, ADDRESS, address))
    if wait:
        raise Throttled(wait)


async def sign_in_failed(db: Database, *, email: str, address: str) -> None:
    """Count a failure; the one that fills a bucket leaves an audit entry (one per lockout,
    not one per refused attempt)."""
    async with db.uow() as session:
        for limit, value in ((ACCOUNT, email), (ADDRESS, address)):
            await throttle.hit(session, bucket=throttle.bucket(limit.kind, value), keep=KEEP)
            wait = await _wait(session, limit, value)
            if wait:
                payload = {"limit": limit.kind, "email": email[:320], "address": address}
                payload |= {"retry_after": wait, "failures": limit.hits}
                audit.record(session, "auth.sign_in_throttled", actor=SYSTEM, payload=payload)


async def sign_in_succeeded(session, *, email: str) -> None:
    """The account's count starts over (the address's does not: one known password must not
    wipe the record of guesses at other accounts)."""
    await throttle.clear(session, bucket=throttle.bucket(ACCOUNT.kind, email))


async def new_chat(db: Database, *, address: str, hits: int = NEW_CHATS.hits) -> None:
    """Count a new widget visitor from `address`; raises Throttled past `hits` in the window
    (the widget's own setting, WidgetConfig.new_chats_per_address)."""
    limit = replace(NEW_CHATS, hits=hits)
    async with db.uow() as session:
        wait = await _wait(session, limit, address)
        if wait:
            raise Throttled(wait)
        await throttle.hit(session, bucket=throttle.bucket(NEW_CHATS.kind, address), keep=KEEP)
