"""Console sign-in and sign-out: a password form (CSRF-protected) on the API's own sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from gateway import principal as principals
from gateway.console.web import check_csrf, render, safe_next
from gateway.deps import Session

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/login")
async def login_form(request: Request, next: str | None = None):
    if principals.signed_in_id(request.session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", next=safe_next(next), error=None, email="")


@router.post("/login")
async def login(
    request: Request,
    session: Session,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/console",
):
    try:
        check_csrf(request, csrf_token)
    except HTTPException:  # the form outlived its session (or was posted from elsewhere)
        return _form_again(request, 403, next, email, "This form expired; please sign in again.")
    # The one sign-in (as POST /api/v1/auth/login): a fresh session and CSRF token.
    user = await principals.sign_in(
        session, request.session, email=email.strip(), password=password
    )
    if user is None:
        return _form_again(request, 401, next, email, "Wrong email or password.")
    return RedirectResponse(safe_next(next), status_code=303)


def _form_again(request: Request, status: int, next: str, email: str, error: str):
    return render(request, "login.html", status, next=safe_next(next), email=email, error=error)


@router.post("/logout")
async def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = ""):
    check_csrf(request, csrf_token)
    principals.sign_out(request.session)
    return RedirectResponse("/console/login", status_code=303)
