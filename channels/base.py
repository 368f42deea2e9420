"""The channel contract: what every channel package offers (its types live in store.messages).

Each `channels/<name>/` package has the same parts, in files of the same names:

- `limits.py`  NAME and LIMITS (store.messages.Limits): text length, Markdown/HTML, attachments,
  threads, speech-only, with the numbers and the provider's docs they come from. The one source
  of both: parse, send and spec import them from here (spec.py cannot hold them: it imports
  send.py and the routes, which need the name).
- `verify.py`  provider authenticity (Twilio signature, Slack signing secret, widget visitor
  token and identity proof). Raises VerifyError on a bad signature, stale timestamp or forged
  token; returns nothing (or the verified identity). Email has none at the transport (IMAP is our
  own login); its loop and auto-reply guard is channels/email/guard.py.
- `parse.py`  provider input -> store.messages.InboundMessage. Pure: no I/O, no clock, no
  database. A provider request carries one message, so parse returns one (Slack's says first
  what an event is: a message, an edit, a deletion, a URL challenge or noise). Authentic input
  it cannot read raises ValueError (Twilio; its routes answer store.errors.Invalid) or comes
  back marked (email: the `malformed` flag; Slack: an `ignore` event with the reason).
- `send.py`  the adapter (the Channel protocol below): OutboundMessage -> Receipt whose
  external_id is the provider's id, replying into the ticket's thread within LIMITS. Raises
  SendError(retryable=...) and never retries itself: the job queue does.
- `spec.py`  SPEC, the ChannelSpec the gateway mounts (registered in channels/registry.py).

Beside them, as a channel needs: `config.py` (the account an admin configures), `routes.py`
(the provider's webhooks: route -> verify -> parse -> ingest -> 2xx), `jobs.py` (slow work after
ingest, declared in gateway/outbox/table.py) and the provider's API client.
"""

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
    """The sending side of a channel, built per account by ChannelSpec.build (send.py)."""

    name: str
    limits: Limits

    async def send(self, outbound: OutboundMessage) -> Receipt:
        """Send into outbound.thread_key; raise SendError saying whether a retry can help."""
        ...


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
