"""Names as channels give them, cleaned before they become a contact's name.

Caller ID (Twilio's CallerName, from CNAM) often says nothing about the person ("WIRELESS
CALLER", "UNAVAILABLE") and is usually in capitals; those words are dropped, capitals tamed.
"""

from __future__ import annotations

import re

_PLACEHOLDERS = {
    "anonymous",
    "blocked",
    "private",
    "private caller",
    "restricted",
    "toll free",
    "toll free call",
    "unavailable",
    "unknown",
    "unknown caller",
    "unknown name",
    "wireless caller",
}


def caller_name(raw: str | None) -> str | None:
    """A person's name from caller ID, or None when it names nobody."""
    name = " ".join((raw or "").split())[:200]
    if not name or name.lower() in _PLACEHOLDERS or not re.search(r"[^\W\d_]", name):
        return None
    if re.fullmatch(r"[+\d\s().-]+", name):  # the number again
        return None
    return name.title() if name.isupper() else name
