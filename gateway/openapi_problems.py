"""The OpenAPI document says what the API really answers: every error is problem+json.

FastAPI documents only each route's success and a 422 as application/json. Every error here
goes through gateway/errors.py as application/problem+json (RFC 9457), so the document gets a
shared `Problem` schema and the error statuses any operation can answer (bad input, missing or
wrong credentials, unknown ids, conflicts, size and rate limits), with that content type.
"""

from __future__ import annotations

from fastapi import FastAPI

from gateway.errors import PROBLEM

PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `errors` lists each invalid field on a 422.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}
ERRORS = {
    "400": "The request is malformed (e.g. a body that is not JSON or form data)",
    "401": "No valid credentials (API key, session cookie or provider signature)",
    "403": "The credentials lack the scope or role, or a CSRF token or signature is wrong",
    "404": "No such resource (or not visible to these credentials)",
    "405": "The method is not allowed on this path",
    "409": "The change conflicts with existing data",
    "413": "The body is larger than allowed",
    "422": "Invalid input; `errors` names each field",
    "429": "Too many requests; Retry-After says when to try again",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def install(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {}).setdefault("schemas", {})
            document["components"]["schemas"]["Problem"] = PROBLEM_SCHEMA
            for item in document.get("paths", {}).values():
                for operation in item.values():
                    _declare_errors(operation.setdefault("responses", {}))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi


def _declare_errors(responses: dict) -> None:
    for status, description in ERRORS.items():
        response = responses.setdefault(status, {"description": description})
        # Replaces FastAPI's application/json HTTPValidationError on 422: ours is a problem.
        response["content"] = {PROBLEM: {"schema": PROBLEM_REF}}
