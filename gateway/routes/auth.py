"""Password sign-in for agents and admins: a signed session cookie plus a CSRF token."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, EmailStr, Field

from gateway.deps import Session, current_principal
from gateway.routes.staff import UserRead
from store.schemas import Strict
from store.staff import service as staff

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Login(Strict):
    email: EmailStr
    password: str = Field(min_length=1, max_length=200)


class SessionRead(BaseModel):
    user: UserRead
    csrf_token: str


@router.post("/login", response_model=SessionRead)
async def login(data: Login, request: Request, session: Session):
    user = await staff.authenticate(session, email=data.email, password=data.password)
    if user is None:
        raise HTTPException(401, "wrong email or password")
    request.session.clear()  # a fresh session on sign-in: no fixation
    request.session.update({"user_id": user.id, "csrf": secrets.token_urlsafe(24)})
    return SessionRead(user=UserRead.model_validate(user), csrf_token=request.session["csrf"])


@router.post("/logout", status_code=204)
async def logout(request: Request):
    request.session.clear()


@router.get("/me", response_model=SessionRead)
async def me(request: Request, session: Session):
    principal = await current_principal(request)
    if principal.user_id is None:
        raise HTTPException(400, "an API key has no user session")
    user = await staff.get_user(session, user_id=principal.user_id)
    return SessionRead(user=UserRead.model_validate(user), csrf_token=request.session["csrf"])
