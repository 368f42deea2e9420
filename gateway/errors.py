"""One mapping from errors to application/problem+json responses (RFC 9457)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from store.errors import DomainError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, headers=None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _validation_detail(exc: RequestValidationError) -> tuple[str, list[dict]]:
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type")}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"][1:] or first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"], errors


def _unfit_value(exc: BaseException) -> str | None:
    """Why the database refused a value from the request, if that is what happened: a number
    out of range (OverflowError from the driver) or a PostgreSQL data exception (SQLSTATE 22:
    NUL in text, text too long). The deepest cause reads best."""
    reason, seen = None, exc
    while seen is not None:
        if isinstance(seen, OverflowError) or str(getattr(seen, "sqlstate", "")).startswith("22"):
            reason = str(seen).splitlines()[0].split(">: ", 1)[-1]
        seen = getattr(seen, "orig", None) or seen.__cause__
    return reason


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError):
        return problem(exc.status, exc.title, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        detail, errors = _validation_detail(exc)
        return problem(422, "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: HTTPException):
        title = {
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
            413: "Payload too large",
        }.get(exc.status_code, "Error")
        return problem(exc.status_code, title, str(exc.detail), headers=exc.headers)

    @app.exception_handler(IntegrityError)
    async def _conflict(_: Request, exc: IntegrityError):
        log.info("integrity error: %s", exc.orig)
        return problem(409, "Conflict", "the change conflicts with existing data")

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception):
        log.exception("unhandled error")
        return problem(500, "Internal error", "something went wrong on our side; it was logged")

    @app.exception_handler(OverflowError)
    @app.exception_handler(DBAPIError)
    async def _unfit(request: Request, exc: Exception):
        reason = _unfit_value(exc)
        if reason is None:
            return await _crash(request, exc)
        return problem(422, "Invalid input", f"a value does not fit the database: {reason}")
