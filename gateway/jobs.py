"""Job registry: plain async functions taking ids, and which events trigger them.

The queue (in-process or RQ) knows nothing of the domain; it runs `run(name, ctx, args)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.settings import Settings
from store.db import Database


class RetryLater(Exception):
    """The job failed in a way a retry may fix; `after` seconds is a hint (e.g. Retry-After)."""

    def __init__(self, message: str, after: float | None = None):
        super().__init__(message)
        self.after = after


@dataclass
class JobContext:
    db: Database
    settings: Settings
    extras: dict[str, Any] = field(default_factory=dict)  # shared clients (http, agent graph)


JobFn = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
Wanted = Callable[[Any], Awaitable[bool]]  # (the fan-out's session) -> start it now?

_jobs: dict[str, JobFn] = {}
_on_dead: dict[str, Callable[[JobContext, dict[str, Any], str], Awaitable[None]]] = {}
_triggers: dict[str, list[str]] = {}
_channels: dict[str, frozenset[str]] = {}
_wanted: dict[str, Wanted] = {}


def job(
    name: str,
    *,
    on: tuple[str, ...] = (),
    channels: tuple[str, ...] = (),
    when: Wanted | None = None,
    on_dead=None,
):
    """Register a job; `on` lists event types whose payload becomes its args, `channels` limits
    it to events whose payload names one of those channels (no delivery row for the others);
    `when` says whether the job is wanted at all right now (asked once per fan-out pass, in its
    transaction; while it says no, the events start no delivery of the job);
    `on_dead` runs once when the last attempt failed (to show the failure where people look)."""

    def decorate(fn: JobFn) -> JobFn:
        _jobs[name] = fn
        if on_dead is not None:
            _on_dead[name] = on_dead
        if channels:
            _channels[name] = frozenset(channels)
        if when is not None:
            _wanted[name] = when
        for event_type in on:
            if name not in _triggers.setdefault(event_type, []):
                _triggers[event_type].append(name)
        return fn

    return decorate


def triggered_by(event_type: str, payload: dict[str, Any] | None = None) -> list[str]:
    """Jobs an event of this type starts; with its payload, only those its channel wants."""
    names = _triggers.get(event_type, ())
    if payload is None:
        return list(names)
    channel = payload.get("channel")
    return [n for n in names if n not in _channels or channel in _channels[n]]


async def wanted(name: str, session) -> bool:
    """Is the job wanted now (see `job(when=...)`)? Jobs without a condition always are."""
    return name not in _wanted or await _wanted[name](session)


async def run(name: str, ctx: JobContext, args: dict[str, Any]) -> None:
    if name not in _jobs:
        raise LookupError(f"no job named {name!r} is registered")
    await _jobs[name](ctx, args)


async def gave_up(name: str, ctx: JobContext, args: dict[str, Any], error: str) -> None:
    if name in _on_dead:
        await _on_dead[name](ctx, args, error)
