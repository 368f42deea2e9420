"""Password sign-in for agents and admins: a server-side session, its token in the cookie, and
a CSRF token every cookie-authenticated write (sign-out included) must send back."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from gateway import principal as principals
from gateway.deps import Caller, Session
from gateway.sign_in import SignInRefused, sign_in
from store.staff import service as staff
from store.staff.schemas import Login, UserRead

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class SessionRead(BaseModel):
    user: UserRead
    csrf_token: str


@router.post("/login", response_model=SessionRead)
async def login(data: Login, request: Request):
    try:
        user = await sign_in(request, email=data.email, password=data.password)
    except SignInRefused as refused:
        raise refused.http() from None
    csrf = principals.csrf_token(request.session)
    return SessionRead(user=UserRead.model_validate(user), csrf_token=csrf)


@router.post("/logout", status_code=204)
async def logout(request: Request, session: Session, who: Caller):
    """Ends this session on the server (a copied cookie reads nothing after it). Needs the
    X-CSRF-Token header like any write, so another site cannot sign the agent out."""
    if who.session_id is None:
        raise HTTPException(400, "an API key has no session to sign out of")
    await principals.end_session(session, request.session)


@router.get("/me", response_model=SessionRead)
async def me(request: Request, session: Session, who: Caller):
    if who.user_id is None:
        raise HTTPException(400, "an API key has no user session")
    user = await staff.get_user(session, user_id=who.user_id)
    csrf = principals.csrf_token(request.session)
    return SessionRead(user=UserRead.model_validate(user), csrf_token=csrf)
