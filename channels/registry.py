"""Name-keyed registry of channel adapters: a new channel is one module plus one `register` call.

Each spec says how an admin configures an account of that channel (a pydantic model; the fields
named in `secret_fields` are stored apart and never returned) and how to build the adapter that
sends for that account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from channels.base import Channel


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    config_model: type[BaseModel] | None = None
    secret_fields: frozenset[str] = field(default_factory=frozenset)
    # build(config: dict incl. secrets, account_id) -> Channel that sends for that account
    build: Callable[[dict[str, Any], int | None], Channel] | None = None
    # the account's public address (mailbox address, phone number, Slack team) from its config
    address_of: Callable[[dict[str, Any]], str] = lambda config: config.get("address", "")


_specs: dict[str, ChannelSpec] = {}


def register(spec: ChannelSpec) -> ChannelSpec:
    _specs[spec.name] = spec
    return spec


def get(name: str) -> ChannelSpec | None:
    return _specs.get(name)


def names() -> list[str]:
    return sorted(_specs)


def split_secrets(spec: ChannelSpec, values: dict[str, Any]) -> tuple[dict, dict]:
    """(public config, secrets) from a validated config dict."""
    public = {k: v for k, v in values.items() if k not in spec.secret_fields}
    secret = {k: v for k, v in values.items() if k in spec.secret_fields and v is not None}
    return public, secret
