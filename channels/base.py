"""The channel contract: what every adapter offers (the types it speaks live in store.messages)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from store.messages import Limits, OutboundMessage, Receipt


class SendError(Exception):
    """A send failed; `retryable` says whether the job queue should try again (`retry_after`)."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class VerifyError(Exception):
    """The request is not authentically from the provider (bad signature, stale timestamp)."""


class Channel(Protocol):
    name: str
    limits: Limits

    async def send(self, outbound: OutboundMessage) -> Receipt: ...


AppHook = Callable[[Any], Awaitable[None]]  # (the gateway's app) -> None, at start-up / shutdown


@dataclass(frozen=True)
class ChannelSpec:
    """A channel as the gateway mounts it: how an admin configures an account (a pydantic model;
    `secret_fields` are stored apart and never returned), how to build the adapter that sends for
    an account, the provider's webhook routes, and what runs beside the server (IMAP pollers)."""

    name: str
    limits: Limits
    config_model: type[BaseModel] | None = None
    secret_fields: frozenset[str] = field(default_factory=frozenset)
    # build(config: dict incl. secrets, account_id) -> Channel that sends for that account
    build: Callable[[dict[str, Any], int | None], Channel] | None = None
    # the account's public address (mailbox address, phone number, Slack team) from its config
    address_of: Callable[[dict[str, Any]], str] = lambda config: config.get("address", "")
    router: Any = None  # a fastapi.APIRouter of the provider's webhooks, mounted by the gateway
    startup: AppHook | None = None
    shutdown: AppHook | None = None
