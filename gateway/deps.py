"""Request dependencies: the unit of work, and who is calling with which scopes."""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.db import Database
from store.staff import service as staff

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def get_database(request: Request) -> Database:
    return request.app.state.db


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    # scope="function": the commit happens before the response is sent (accept = durable).
    async with get_database(request).uow() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session, scope="function")]


@dataclass(frozen=True)
class Principal:
    actor: Actor
    scopes: frozenset[str]
    user_id: int | None = None
    via_cookie: bool = False

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


class Unauthorized(HTTPException):
    def __init__(self, detail: str):
        super().__init__(401, detail, headers={"WWW-Authenticate": "Bearer"})


# Verified keys, briefly: an API client's every request should not cost a database round
# trip. Revoking clears this process's cache at once; other processes follow within the TTL.
KEY_CACHE_TTL = 30.0
_key_cache: dict[str, tuple[float, Principal]] = {}


def forget_api_keys() -> None:
    _key_cache.clear()


async def _from_bearer(request: Request, header: str) -> Principal:
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("Authorization must be 'Bearer <api key>'")
    key = key.strip()
    cached = _key_cache.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    async with get_database(request).uow() as session:
        row = await staff.verify_api_key(session, key=key)
    if row is None:
        raise Unauthorized("API key is unknown or revoked")
    principal = Principal(Actor("apikey", row.id, row.name), frozenset(row.scopes))
    _key_cache[key] = (time.monotonic() + KEY_CACHE_TTL, principal)
    return principal


async def _from_cookie(request: Request, session: AsyncSession) -> Principal | None:
    user_id = request.session.get("user_id")
    if user_id is None:
        return None
    user = await session.get(staff.User, user_id)
    if user is None or not user.is_active:
        request.session.clear()
        return None
    if request.method in UNSAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent, request.session.get("csrf", "")):
            raise HTTPException(403, "missing or wrong X-CSRF-Token header for a cookie session")
    actor = Actor("user", user.id, user.name or user.email)
    return Principal(actor, frozenset(staff.scopes_for(user)), user.id, via_cookie=True)


async def current_principal(request: Request) -> Principal:
    # Its own short transaction: the key's last_used_at write must not hold SQLite's write
    # lock while the route waits on another writer (the ingest writer).
    header = request.headers.get("authorization")
    if header:
        return await _from_bearer(request, header)
    async with get_database(request).uow() as session:
        principal = await _from_cookie(request, session)
    if principal is None:
        raise Unauthorized("sign in or send 'Authorization: Bearer <api key>'")
    return principal


def require(scope: str):
    """A dependency that lets the call through only with `scope` (admin implies all)."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.allows(scope):
            raise HTTPException(403, f"this call needs the '{scope}' scope")
        return principal

    return Depends(check)


TicketsRead = Annotated[Principal, require("tickets:read")]
TicketsWrite = Annotated[Principal, require("tickets:write")]
ContactsRead = Annotated[Principal, require("contacts:read")]
ContactsWrite = Annotated[Principal, require("contacts:write")]
Admin = Annotated[Principal, require("admin")]
