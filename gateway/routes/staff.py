"""Users, teams and API keys (admin only; an agent may read users and teams)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from gateway.deps import Admin, Session, TicketsRead, get_database
from gateway.presence import Now
from gateway.principal import forget_api_keys
from store.assignment import presence
from store.staff import audit, sessions
from store.staff import service as staff
from store.staff.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    PresenceUpdate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from store.staff.session_models import SessionsRevoked, StaffSessionRead

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.get("/users", response_model=list[UserRead])
async def list_users(session: Session, who: TicketsRead, now: Now):
    """Everyone, with their presence as it counts now and their open load."""
    return await presence.read_users(session, await staff.list_users(session), now=now)


@router.post("/users", status_code=201, response_model=UserRead)
async def create_user(data: UserCreate, session: Session, who: Admin):
    return await staff.create_user(session, **data.model_dump())


@router.patch("/users/{user_id}", response_model=UserRead)
async def update_user(user_id: int, data: UserUpdate, session: Session, who: Admin, now: Now):
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    state, online = changes.pop("presence", None), changes.pop("online", None)
    if state is None and online is not None:
        state = "online" if online else "offline"  # the old boolean
    if changes.get("is_active") is False:
        state = "offline"  # a deactivated agent takes no tickets
    user = await staff.update_user(session, user_id=user_id, changes=changes)
    if state is not None:
        user = await presence.set_presence(
            session, user_id=user_id, state=state, actor=who.actor, now=now
        )
    return (await presence.read_users(session, [user], now=now))[0]


@router.patch("/me", response_model=UserRead)
async def update_me(data: PresenceUpdate, session: Session, who: TicketsRead, now: Now):
    """The signed-in agent sets their own presence (what the console's toggle does)."""
    if who.user_id is None:
        raise HTTPException(400, "an API key has no presence; use PATCH /api/v1/users/{id}")
    user = await presence.set_presence(
        session, user_id=who.user_id, state=data.presence, actor=who.actor, now=now
    )
    return (await presence.read_users(session, [user], now=now))[0]


@router.get("/teams", response_model=list[TeamRead])
async def list_teams(session: Session, who: TicketsRead):
    return await staff.list_teams(session)


@router.post("/teams", status_code=201, response_model=TeamRead)
async def create_team(data: TeamCreate, session: Session, who: Admin):
    return await staff.create_team(session, **data.model_dump())


@router.patch("/teams/{team_id}", response_model=TeamRead)
async def update_team(team_id: int, data: TeamUpdate, session: Session, who: Admin):
    return await staff.update_team(
        session, team_id=team_id, changes=data.model_dump(exclude_unset=True, exclude_none=True)
    )


@router.delete("/teams/{team_id}", status_code=204)
async def delete_team(team_id: int, session: Session, who: Admin):
    await staff.delete_team(session, team_id=team_id)


@router.get("/api-keys", response_model=list[ApiKeyRead])
async def list_api_keys(session: Session, who: Admin):
    return await staff.list_api_keys(session)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(data: ApiKeyCreate, session: Session, who: Admin):
    row, plain = await staff.create_api_key(
        session, name=data.name, scopes=data.scopes, created_by=who.user_id
    )
    return ApiKeyCreated(**ApiKeyRead.model_validate(row).model_dump(), key=plain)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRead)
async def revoke_api_key(key_id: int, request: Request, who: Admin):
    async with get_database(request).uow() as session:
        row = await staff.revoke_api_key(session, key_id=key_id)
    forget_api_keys()  # after the commit, so a request in between cannot cache the key again
    return row


@router.get("/users/{user_id}/sessions", response_model=list[StaffSessionRead])
async def list_user_sessions(user_id: int, session: Session, who: Admin):
    """Where the user is signed in now (browser and address, for the admin to judge)."""
    await staff.get_user(session, user_id=user_id)
    return await sessions.list_live(session, user_id=user_id)


@router.delete("/users/{user_id}/sessions", response_model=SessionsRevoked)
async def revoke_user_sessions(user_id: int, session: Session, who: Admin):
    """Sign the user out everywhere at once (a lost laptop, a shared account)."""
    await staff.get_user(session, user_id=user_id)
    count = await sessions.revoke_for_user(session, user_id=user_id)
    payload = {"user_id": user_id, "sessions": count}
    audit.record(session, "auth.sessions_revoked", actor=who.actor, payload=payload)
    return SessionsRevoked(revoked=count)
