"""Email wired into the gateway: the mailbox channel spec and the pollers `autocrm serve` runs.

Inbound: one IMAP poller per active mailbox (channels.email_pollers) hands each fetched email to
channels.email_ingest.deliver, which commits it through the gateway's ingest writer before the
poller flags it \\Seen. Outbound: the send job builds the adapter from the ticket's mailbox
(channels.email_send.EmailChannel) and sends over that mailbox's SMTP.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from channels import registry
from channels.email_mailbox import SECRET_FIELDS, MailboxConfig
from channels.email_pollers import Mailboxes
from channels.email_send import NAME, EmailChannel


def _build(config: dict[str, Any], account_id: int | None) -> EmailChannel:
    return EmailChannel(config, account_id)


registry.register(
    registry.ChannelSpec(
        name=NAME,
        config_model=MailboxConfig,
        secret_fields=SECRET_FIELDS,
        build=_build,
        address_of=lambda config: config.get("address", ""),
    )
)


async def startup(app: FastAPI) -> None:
    mailboxes = Mailboxes(app.state.db, app.state.ingest.submit)
    app.state.mailboxes = mailboxes
    mailboxes.start()


async def shutdown(app: FastAPI) -> None:
    mailboxes: Mailboxes | None = getattr(app.state, "mailboxes", None)
    if mailboxes is not None:
        await mailboxes.stop()
