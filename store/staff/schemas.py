"""Pydantic shapes for users, teams, API keys and sign-in as they cross the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from store.schemas import Strict
from store.staff.kinds import Kind

Role = Literal["agent", "admin"]
Presence = Literal["online", "away", "offline"]
# Open tickets per channel kind; a kind left out takes the team's, then the settings' number.
Capacities = dict[Kind, Annotated[int, Field(ge=0, le=1000)]]


class Login(Strict):
    email: EmailStr
    password: str = Field(min_length=1, max_length=200)


class UserCreate(Strict):
    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    name: str = Field(default="", max_length=200)
    role: Role = "agent"
    skills: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    capacity: int = Field(default=20, ge=0, le=1000)
    capacities: Capacities = Field(default_factory=dict)


class UserUpdate(Strict):
    name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=200)
    role: Role | None = None
    skills: list[str] | None = None
    languages: list[str] | None = None
    capacity: int | None = Field(default=None, ge=0, le=1000)
    capacities: Capacities | None = None
    presence: Presence | None = None
    online: bool | None = None  # the old switch: true = presence online, false = offline
    is_active: bool | None = None


class PresenceUpdate(Strict):
    """PATCH /api/v1/me: what an agent may change about themselves."""

    presence: Presence


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: str
    skills: list[str]
    languages: list[str]
    capacity: int
    capacities: dict[str, int]
    presence: Presence  # as it counts now (a stale heartbeat reads offline)
    presence_changed_at: datetime | None
    online: bool  # presence == online, for clients of the old boolean
    is_active: bool
    load: int = 0  # open tickets assigned (GET /api/v1/users)
    load_by_kind: dict[str, int] = Field(default_factory=dict)


class TeamCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    member_ids: list[int] = Field(default_factory=list)
    capacities: Capacities = Field(default_factory=dict)


class TeamUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    member_ids: list[int] | None = None
    capacities: Capacities | None = None


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str
    capacities: dict[str, int]
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
