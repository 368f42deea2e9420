"""Console sign-in and sign-out: a password form (CSRF-protected) on the API's own login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from gateway.console.web import check_csrf, render, safe_next
from gateway.deps import Session
from gateway.routes import auth as api_auth

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/login")
async def login_form(request: Request, next: str | None = None):
    if request.session.get("user_id") is not None:
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
        return render(
            request,
            "login.html",
            403,
            next=safe_next(next),
            email=email,
            error="This form expired; please sign in again.",
        )
    try:
        data = api_auth.Login(email=email.strip(), password=password)
        await api_auth.login(data, request, session)  # the one sign-in: fresh session + CSRF
    except (HTTPException, ValueError):  # ValueError: pydantic's, for a malformed address
        page = render(
            request,
            "login.html",
            401,
            next=safe_next(next),
            error="Wrong email or password.",
            email=email,
        )
        return page
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
async def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = ""):
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/console/login", status_code=303)
