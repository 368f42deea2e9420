"""Staff: users (argon2id passwords), teams, and API keys (stored as sha256, shown once)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from store.actor import SYSTEM
from store.db import utcnow
from store.errors import Conflict, Invalid
from store.rows import assign, get_or_raise
from store.staff import presence, sessions
from store.staff.models import ApiKey, Team, User

SCOPES = (
    "tickets:read",
    "tickets:write",
    "contacts:read",
    "contacts:write",
    "kb:read",
    "kb:write",
    "admin",
)
AGENT_SCOPES = ("tickets:read", "tickets:write", "contacts:read", "contacts:write", "kb:read")
KEY_PREFIX = "acrm_"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


async def get_user(session: AsyncSession, *, user_id: int) -> User:
    return await get_or_raise(session, User, user_id, "user")


async def get_user_by_email(session: AsyncSession, *, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def get_active_user(session: AsyncSession, *, user_id: int) -> User | None:
    """The user with their teams, or None when they are gone or deactivated (a signed-in
    session of theirs no longer counts)."""
    query = select(User).where(User.id == user_id).options(selectinload(User.teams))
    user = await session.scalar(query)
    return user if user is not None and user.is_active else None


async def create_user(
    session: AsyncSession, *, email: str, password: str, role: str = "agent", **extra: Any
) -> User:
    if len(password) < 8:
        raise Invalid("password must have at least 8 characters")
    if role not in ("agent", "admin"):
        raise Invalid("role must be agent or admin")
    if await get_user_by_email(session, email=email):
        raise Conflict(f"a user with email {email} exists")
    # `online=True` (the old boolean) starts the agent present, as a console heartbeat would.
    online = extra.pop("online", False)
    user = User(
        email=email.strip().lower(),
        password_hash=_hasher.hash(password),
        role=role,
        teams=[],
        **extra,
    )
    session.add(user)
    await session.flush()
    if online:
        presence.start_online(session, user, now=utcnow(), actor=SYSTEM)
        await session.flush()
    return user


async def update_user(session: AsyncSession, *, user_id: int, changes: dict[str, Any]) -> User:
    user = await get_user(session, user_id=user_id)
    signed_out = changes.get("is_active") is False or "password" in changes
    if "password" in changes:
        password = changes.pop("password")
        if len(password) < 8:
            raise Invalid("password must have at least 8 characters")
        user.password_hash = _hasher.hash(password)
    assign(user, changes)
    if signed_out:  # deactivated or a new password: every browser signed in as them is out
        await sessions.revoke_for_user(session, user_id=user_id)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, *, email: str, password: str) -> User | None:
    user = await get_user_by_email(session, email=email)
    if user is None or not user.is_active:
        _hasher.hash(password)  # same work either way, so timing does not reveal accounts
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except VerificationError:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


async def list_users(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.id)))


def scopes_for(user: User) -> tuple[str, ...]:
    return SCOPES if user.role == "admin" else AGENT_SCOPES


# --- teams ----------------------------------------------------------------------------------


async def get_team(session: AsyncSession, *, team_id: int) -> Team:
    return await get_or_raise(session, Team, team_id, "team")


async def list_teams(session: AsyncSession) -> list[Team]:
    return list(await session.scalars(select(Team).order_by(Team.name)))


async def create_team(
    session: AsyncSession,
    *,
    name: str,
    description: str = "",
    member_ids: list[int] = (),
    capacities: dict[str, int] | None = None,
) -> Team:
    if await session.scalar(select(Team).where(Team.name == name)):
        raise Conflict(f"team {name!r} exists")
    team = Team(name=name, description=description, members=[], capacities=capacities or {})
    session.add(team)
    team.members = [await get_user(session, user_id=i) for i in member_ids]
    await session.flush()
    return team


async def update_team(session: AsyncSession, *, team_id: int, changes: dict[str, Any]) -> Team:
    team = await get_team(session, team_id=team_id)
    member_ids = changes.pop("member_ids", None)
    if member_ids is not None:
        team.members = [await get_user(session, user_id=i) for i in member_ids]
    assign(team, changes)
    await session.flush()
    return team


async def delete_team(session: AsyncSession, *, team_id: int) -> None:
    await session.delete(await get_team(session, team_id=team_id))
    await session.flush()


# --- API keys -------------------------------------------------------------------------------


def _digest(key: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is safe here and keeps auth cheap.
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(
    session: AsyncSession, *, name: str, scopes: list[str], created_by: int | None = None
) -> tuple[ApiKey, str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise Invalid(f"unknown scopes {unknown}; choose from {', '.join(SCOPES)}")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        prefix=plain[:12],
        key_hash=_digest(plain),
        scopes=sorted(set(scopes)),
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return row, plain


async def verify_api_key(session: AsyncSession, *, key: str) -> ApiKey | None:
    row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    # Touch last_used at most once a minute, so a busy key does not write on every request.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return row


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list(await session.scalars(select(ApiKey).order_by(ApiKey.id)))


async def revoke_api_key(session: AsyncSession, *, key_id: int) -> ApiKey:
    row = await get_or_raise(session, ApiKey, key_id, "api key")
    row.revoked_at = row.revoked_at or utcnow()
    await session.flush()
    return row
