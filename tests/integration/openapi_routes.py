"""Every HTTP API operation, read from the app's OpenAPI document, with sample paths to call."""

from __future__ import annotations

import re
from dataclasses import dataclass

API_PREFIX = "/api/v1"
SESSION_PREFIX = "/api/v1/auth"  # sign-in endpoints: no key expected, covered by cookie tests
PUBLIC_PREFIX = "/api/v1/public"  # customer-facing, no key by design: covered by their own tests
PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template, e.g. /api/v1/tickets/{ticket_id}
    params: dict[str, str]  # path parameter -> OpenAPI type ("integer", "string")
    body_schema: dict | None  # the resolved JSON schema of the request body, if any

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def url(self, values: dict[str, object] | None = None, default_int: int = 999_999) -> str:
        values = values or {}

        def fill(match: re.Match) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            return str(default_int) if self.params.get(name) == "integer" else "nope"

        return PARAM.sub(fill, self.path)


def _resolve(schema: dict | None, components: dict) -> dict | None:
    if schema and "$ref" in schema:
        return components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def api_operations(app) -> list[Operation]:
    """The /api/v1 operations (sign-in endpoints excluded), sorted for stable reports."""
    doc = app.openapi()
    components = doc.get("components", {}).get("schemas", {})
    found = []
    for path, item in doc["paths"].items():
        if not path.startswith(API_PREFIX) or path.startswith((SESSION_PREFIX, PUBLIC_PREFIX)):
            continue
        for method, op in item.items():
            params = {
                p["name"]: p.get("schema", {}).get("type", "string")
                for p in op.get("parameters", [])
                if p.get("in") == "path"
            }
            content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            body = _resolve(content.get("schema"), components)
            found.append(Operation(method.upper(), path, params, body))
    return sorted(found, key=lambda o: (o.path, o.method))
