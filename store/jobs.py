"""What a job function gets and may raise: the contract between the outbox that runs jobs
(gateway/outbox) and the modules that write them (channels, agent_graph, gateway).

Jobs are plain async functions `(ctx, args)` taking ids; which event starts which job is
declared in one table, gateway/outbox/table.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from store.db import Database
from store.messages import Limits


class RetryLater(Exception):
    """The job failed in a way a retry may fix; `after` seconds is a hint (e.g. Retry-After)."""

    def __init__(self, message: str, after: float | None = None):
        super().__init__(message)
        self.after = after


class PermanentFailure(Exception):
    """Retrying cannot help (e.g. a job whose target was deleted)."""


@dataclass
class JobContext:
    db: Database
    settings: Any  # gateway.settings.Settings; jobs read the attributes they need
    extras: dict[str, Any] = field(default_factory=dict)  # shared clients (http, agent graph)
    # Each registered channel's Limits by name (the gateway fills it from channels.registry), so
    # jobs below the gateway (the agent's replies) fit what they write to the channel.
    channel_limits: dict[str, Limits] = field(default_factory=dict)


JobFn = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
GaveUpFn = Callable[[JobContext, dict[str, Any], str], Awaitable[None]]
