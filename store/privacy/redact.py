"""Redacting free text out of stored JSON (event payloads and snapshots, delivery args) while
its shape stays: ids, numbers, flags and a few words of vocabulary are kept, every other
string becomes ERASED."""

from __future__ import annotations

from typing import Any

ERASED = "[erased]"
# Values of these keys are our own words (a channel name, a status), never a person's.
VOCABULARY = {
    "action",
    "author_kind",
    "channel",
    "decision",
    "direction",
    "kind",
    "outcome",
    "owner",
    "priority",
    "route",
    "status",
    "status_category",
    "type",
}


def redact(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if isinstance(value, str) and key not in VOCABULARY and value:
        return ERASED
    return value
