"""Password sign-in for agents and admins: a signed session cookie plus a CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from gateway import principal as principals
from gateway.deps import Caller, Session
from store.staff import service as staff
from store.staff.schemas import Login, UserRead

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class SessionRead(BaseModel):
    user: UserRead
    csrf_token: str


@router.post("/login", response_model=SessionRead)
async def login(data: Login, request: Request, session: Session):
    user = await principals.sign_in(
        session, request.session, email=data.email, password=data.password
    )
    if user is None:
        raise HTTPException(401, "wrong email or password")
    csrf = principals.csrf_token(request.session)
    return SessionRead(user=UserRead.model_validate(user), csrf_token=csrf)


@router.post("/logout", status_code=204)
async def logout(request: Request):
    principals.sign_out(request.session)


@router.get("/me", response_model=SessionRead)
async def me(request: Request, session: Session, who: Caller):
    if who.user_id is None:
        raise HTTPException(400, "an API key has no user session")
    user = await staff.get_user(session, user_id=who.user_id)
    csrf = principals.csrf_token(request.session)
    return SessionRead(user=UserRead.model_validate(user), csrf_token=csrf)
