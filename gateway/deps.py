"""Request dependencies: the unit of work, and who is calling with which scopes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import principal as principals
from gateway.principal import Principal
from store.db import Database

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def get_database(request: Request) -> Database:
    return request.app.state.db


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    # scope="function": the commit happens before the response is sent (accept = durable).
    async with get_database(request).uow() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session, scope="function")]


class Unauthorized(HTTPException):
    def __init__(self, detail: str):
        super().__init__(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def _from_bearer(request: Request, header: str) -> Principal:
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("Authorization must be 'Bearer <api key>'")
    principal = await principals.resolve(get_database(request), api_key=key.strip())
    if principal is None:
        raise Unauthorized("API key is unknown or revoked")
    return principal


async def _from_cookie(request: Request) -> Principal:
    principal = await principals.resolve(get_database(request), session=request.session)
    if principal is None:
        if principals.claims_session(request.session):
            principals.sign_out(request.session)  # revoked, expired, or the user is gone
        raise Unauthorized("sign in or send 'Authorization: Bearer <api key>'")
    # Every write with a cookie, sign-out included, proves it comes from our own pages.
    sent = request.headers.get("x-csrf-token", "")
    if request.method in UNSAFE_METHODS and not principals.csrf_matches(request.session, sent):
        raise HTTPException(403, "missing or wrong X-CSRF-Token header for a cookie session")
    return principal


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization")
    if header:
        return await _from_bearer(request, header)
    return await _from_cookie(request)


Caller = Annotated[Principal, Depends(current_principal)]


def require(scope: str):
    """A dependency that lets the call through only with `scope` (admin implies all)."""

    async def check(principal: Caller) -> Principal:
        if not principal.allows(scope):
            raise HTTPException(403, f"this call needs the '{scope}' scope")
        return principal

    return Depends(check)


TicketsRead = Annotated[Principal, require("tickets:read")]
TicketsWrite = Annotated[Principal, require("tickets:write")]
ContactsRead = Annotated[Principal, require("contacts:read")]
ContactsWrite = Annotated[Principal, require("contacts:write")]
Admin = Annotated[Principal, require("admin")]
