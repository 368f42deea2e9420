"""The one password sign-in, for the API and the console form alike: refused from other sites,
throttled per account and per address, then a fresh server-side session.

A wrong password and an unknown account get the same answer, and so do their throttles.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from gateway import principal as principals
from gateway import throttle
from gateway.deps import get_database
from store.staff.models import User

WRONG = "wrong email or password"


class SignInRefused(Exception):
    """Why a sign-in did not happen, with the status and headers to answer with."""

    def __init__(self, status: int, detail: str, headers: dict | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers

    def http(self) -> HTTPException:
        return HTTPException(self.status, self.detail, headers=self.headers)


def refuse_cross_site(request: Request) -> None:
    """Login CSRF: a browser marks a request another site made (Fetch Metadata); such a
    sign-in would put the visitor into the attacker's account. Scripts send no such header."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        raise SignInRefused(403, "sign in from this site's own sign-in page")


async def sign_in(request: Request, *, email: str, password: str) -> User:
    """The user, signed in on `request.session`; raises SignInRefused (401, 403, 429)."""
    refuse_cross_site(request)
    db = get_database(request)
    address = throttle.client_address(request.scope)
    try:
        await throttle.check_sign_in(db, email=email, address=address)
    except throttle.Throttled as exc:
        detail = f"too many failed sign-ins; try again in {_minutes(exc.retry_after)}"
        raise SignInRefused(429, detail, {"Retry-After": str(exc.retry_after)}) from None
    agent = request.headers.get("user-agent", "")
    async with db.uow() as session:
        user = await principals.sign_in(
            session, request.session, email=email, password=password, user_agent=agent, ip=address
        )
        if user is not None:
            await throttle.sign_in_succeeded(session, email=email)
    if user is None:
        await throttle.sign_in_failed(db, email=email, address=address)
        raise SignInRefused(401, WRONG)
    return user


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
