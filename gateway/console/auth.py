"""Console sign-in and sign-out: a password form (CSRF-protected, throttled) on the API's own
sign-in (gateway/sign_in.py), and a sign-out that ends the server-side session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from gateway import principal as principals
from gateway.console.web import check_csrf, render, safe_next
from gateway.deps import get_database
from gateway.sign_in import SignInRefused, sign_in

router = APIRouter(prefix="/console", include_in_schema=False)

# What the form says for each refusal (the API's words are for scripts).
FORM_ERRORS = {
    401: "Wrong email or password.",
    403: "Please sign in from this page.",
}


async def _signed_in(request: Request) -> bool:
    who = await principals.from_session(get_database(request), request.session)
    if who is None and principals.claims_session(request.session):
        principals.sign_out(request.session)  # an ended session: the form gets a fresh token
    return who is not None


@router.get("/login")
async def login_form(request: Request, next: str | None = None):
    if await _signed_in(request):
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", next=safe_next(next), error=None, email="")


@router.post("/login")
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/console",
):
    if await _signed_in(request):  # signed in meanwhile (another tab)
        return RedirectResponse(safe_next(next), status_code=303)
    try:
        check_csrf(request, csrf_token)
    except HTTPException:  # the form outlived its session (or was posted from elsewhere)
        return _form_again(request, 403, next, email, "This form expired; please sign in again.")
    try:
        await sign_in(request, email=email.strip(), password=password)
    except SignInRefused as refused:
        error = FORM_ERRORS.get(refused.status) or refused.detail.capitalize() + "."
        page = _form_again(request, refused.status, next, email, error)
        page.headers.update(refused.headers or {})
        return page
    return RedirectResponse(safe_next(next), status_code=303)


def _form_again(request: Request, status: int, next: str, email: str, error: str):
    return render(request, "login.html", status, next=safe_next(next), email=email, error=error)


@router.post("/logout")
async def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = ""):
    db = get_database(request)
    if await principals.from_session(db, request.session) is None:
        principals.sign_out(request.session)  # already over: nothing to protect
        return RedirectResponse("/console/login", status_code=303)
    check_csrf(request, csrf_token)
    async with db.uow() as session:
        await principals.end_session(session, request.session)
    return RedirectResponse("/console/login", status_code=303)
