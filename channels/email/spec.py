"""The email channel as the gateway mounts it: mailbox accounts and the pollers `serve` runs.

Inbound: one IMAP poller per active mailbox (channels.email.pollers) hands each fetched email to
channels.email.ingest.deliver, which commits it through the gateway's ingest writer before the
poller flags it \\Seen. Outbound: the send job builds the adapter from the ticket's mailbox
(channels.email.send.EmailChannel) and sends over that mailbox's SMTP.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from channels.base import ChannelSpec
from channels.email.limits import LIMITS, NAME
from channels.email.mailbox import SECRET_FIELDS, MailboxConfig
from channels.email.pollers import Mailboxes
from channels.email.send import EmailChannel


def _build(config: dict[str, Any], account_id: int | None) -> EmailChannel:
    return EmailChannel(config, account_id)


async def startup(app: FastAPI) -> None:
    limit = app.state.settings.max_attachment_bytes
    mailboxes = Mailboxes(app.state.db, app.state.ingest.submit, max_attachment_bytes=limit)
    app.state.mailboxes = mailboxes
    mailboxes.start()


async def shutdown(app: FastAPI) -> None:
    mailboxes: Mailboxes | None = getattr(app.state, "mailboxes", None)
    if mailboxes is not None:
        await mailboxes.stop()


SPEC = ChannelSpec(
    name=NAME,
    limits=LIMITS,
    config_model=MailboxConfig,
    secret_fields=SECRET_FIELDS,
    build=_build,
    address_of=lambda config: config.get("address", ""),
    startup=startup,
    shutdown=shutdown,
)
