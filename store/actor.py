"""Who did something: recorded on every event (the audit log's 'actor')."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # user | apikey | customer | bot | system
    id: int | None = None
    name: str = ""


SYSTEM = Actor("system", None, "system")
BOT = Actor("bot", None, "AutoCRM bot")
