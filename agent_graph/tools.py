"""Tools the LLM may call: built-ins over our own data, and admin-declared HTTP tools.

Every call returns text for the model; failures come back as an error text the model can act
on (usually by escalating), never as an exception that ends the turn.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from store.agent.service import host_allowed
from store.tickets import bot_view
from store.tickets import service as tickets

MAX_RESULT = 4000

BUILTINS = [
    {
        "name": "open_tickets",
        "description": "List this customer's open tickets (number, subject, status).",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
    },
    {
        "name": "ticket_status",
        "description": "Status of one of this customer's tickets, by its number.",
        "parameters": {
            "type": "object",
            "properties": {"number": {"type": "integer", "description": "ticket number"}},
            "required": ["number"],
            "additionalProperties": False,
        },
    },
]


def specs(admin_tools: list[dict]) -> list[dict]:
    """OpenAI `tools` entries for the built-ins and the enabled admin tools."""
    declared = BUILTINS + [
        {"name": t["name"], "description": t["description"], "parameters": t["parameters"]}
        for t in admin_tools
    ]
    return [{"type": "function", "function": d} for d in declared]


async def _open_tickets(db, contact_id: int | None, _args: dict) -> Any:
    if contact_id is None:
        return []  # no known customer: another contactless ticket is not theirs
    async with db.read() as session:
        rows = await bot_view.list_open_for_contact(session, contact_id=contact_id)
        return [{"number": t.number, "subject": t.subject, "status": t.status} for t in rows]


async def _ticket_status(db, contact_id: int | None, args: dict) -> Any:
    async with db.read() as session:
        ticket = await tickets.get_by_number(session, number=int(args["number"]))
        # Only the customer's own tickets: a number from someone else's ticket reveals nothing.
        if ticket is None or contact_id is None or ticket.contact_id != contact_id:
            return {"error": f"no ticket #{args['number']} for this customer"}
        return {"number": ticket.number, "status": ticket.status, "subject": ticket.subject}


def render_url(template: str, args: dict) -> tuple[str, dict]:
    """Fill {placeholders} (URL-quoted); the arguments left over go in the query or body."""
    used, url = set(), template
    for key, value in args.items():
        if "{" + key + "}" in url:
            url = url.replace("{" + key + "}", quote(str(value), safe=""))
            used.add(key)
    return url, {k: v for k, v in args.items() if k not in used}


async def _http(tool: dict, hosts: list[str], args: dict) -> Any:
    url, rest = render_url(tool["url_template"], args)
    if not host_allowed(url, hosts):
        return {"error": "the tool's host is not on the allow-list"}
    headers = {tool["secret_header"]: tool["secret_value"]} if tool.get("secret_header") else {}
    send = {"params": rest} if tool["method"] in ("GET", "DELETE") else {"json": rest}
    async with httpx.AsyncClient(timeout=tool["timeout"], follow_redirects=False) as client:
        response = await client.request(tool["method"], url, headers=headers, **send)
    return {"status": response.status_code, "body": response.text[:MAX_RESULT]}


async def call(name: str, raw_args: str, *, db, contact_id, admin_tools, hosts) -> str:
    """Run one tool call; the result (or the error) as JSON text for the model."""
    try:
        args = json.loads(raw_args or "{}")
        if name == "open_tickets":
            result = await _open_tickets(db, contact_id, args)
        elif name == "ticket_status":
            result = await _ticket_status(db, contact_id, args)
        else:
            tool = next((t for t in admin_tools if t["name"] == name), None)
            result = await _http(tool, hosts, args) if tool else {"error": f"no tool {name!r}"}
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return json.dumps(result, default=str)[:MAX_RESULT]
