"""Users, teams and API keys (admin only; an agent may read users and teams)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from gateway.deps import Admin, Session, TicketsRead, forget_api_keys, get_database
from store.schemas import Strict
from store.staff import service as staff

router = APIRouter(prefix="/api/v1", tags=["staff"])


class UserCreate(Strict):
    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    name: str = Field(default="", max_length=200)
    role: Literal["agent", "admin"] = "agent"
    skills: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    capacity: int = Field(default=20, ge=0, le=1000)


class UserUpdate(Strict):
    name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=200)
    role: Literal["agent", "admin"] | None = None
    skills: list[str] | None = None
    languages: list[str] | None = None
    capacity: int | None = Field(default=None, ge=0, le=1000)
    online: bool | None = None
    is_active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: str
    skills: list[str]
    languages: list[str]
    capacity: int
    online: bool
    is_active: bool


class TeamCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    member_ids: list[int] = Field(default_factory=list)


class TeamUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    member_ids: list[int] | None = None


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str
    members: list[UserRead]


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str  # shown once, never stored in clear


@router.get("/users", response_model=list[UserRead])
async def list_users(session: Session, who: TicketsRead):
    return await staff.list_users(session)


@router.post("/users", status_code=201, response_model=UserRead)
async def create_user(data: UserCreate, session: Session, who: Admin):
    return await staff.create_user(session, **data.model_dump())


@router.patch("/users/{user_id}", response_model=UserRead)
async def update_user(user_id: int, data: UserUpdate, session: Session, who: Admin):
    return await staff.update_user(
        session, user_id=user_id, changes=data.model_dump(exclude_unset=True, exclude_none=True)
    )


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
