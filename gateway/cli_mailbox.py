"""`autocrm mailbox add|list`: support mailboxes from the command line.

It runs the same code as `POST /api/v1/channels` (the route function itself, with its
validation and its secret split), so a mailbox added here is the same row the API would make,
and a running `autocrm serve` starts polling it at its next look at the accounts.
"""

from __future__ import annotations

import argparse
import asyncio

from channels.email.mailbox import MailboxConfig
from gateway.cli import _with_db
from gateway.routes.channels import AccountCreate, create_account
from store.config import accounts
from store.errors import Conflict

CHANNEL = "email"
TLS = ("none", "starttls", "ssl")


def add_mailbox_parser(sub, commands: dict) -> None:
    """Options under `autocrm mailbox`; `commands` is the CLI's own table (also under -m)."""
    commands.update({"mailbox add": mailbox_add, "mailbox list": mailbox_list})
    mailbox = sub.add_parser("mailbox", help="support mailboxes (IMAP in, SMTP out)")
    actions = mailbox.add_subparsers(dest="sub", required=True)
    p = actions.add_parser("add", help="add a mailbox; `autocrm serve` polls it")
    p.add_argument("--address", required=True, help="the support address we receive and send as")
    p.add_argument("--name", help="a label for admins (default: the address)")
    p.add_argument("--from-name", help="display name on outgoing mail, e.g. 'Shop Support'")
    p.add_argument("--imap-host", required=True)
    p.add_argument("--imap-port", type=int, required=True)
    p.add_argument("--imap-tls", choices=TLS, default="ssl")
    p.add_argument("--imap-user", required=True)
    p.add_argument("--imap-password", required=True)
    p.add_argument("--folder", default="INBOX")
    p.add_argument("--smtp-host", required=True)
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--smtp-tls", choices=TLS, default="starttls")
    p.add_argument("--smtp-user")
    p.add_argument("--smtp-password")
    p.add_argument("--tls-ca-file", help="extra CAs (PEM) to trust, for a private server")
    actions.add_parser("list", help="configured mailboxes (secrets are never shown)")


def _config(args: argparse.Namespace) -> dict:
    # Options are named after the config fields; the ones not given keep the model's defaults.
    fields = MailboxConfig.model_fields
    return {key: getattr(args, key) for key in fields if getattr(args, key, None) is not None}


def mailbox_add(args: argparse.Namespace) -> int:
    async def run(session):
        address = args.address.strip().lower()
        if await accounts.get_by_address(session, channel=CHANNEL, address=address):
            raise Conflict(f"mailbox {address} is already configured")
        data = AccountCreate(channel=CHANNEL, name=args.name or address, config=_config(args))
        return await create_account(data, session, None)  # the admin check is the shell's

    account = asyncio.run(_with_db(run))
    secrets = ", ".join(account.secrets_set) or "none"
    print(f"added mailbox {account.address} (account {account.id}); secrets stored: {secrets}")
    return 0


def mailbox_list(args: argparse.Namespace) -> int:
    async def run(session):
        return await accounts.list_accounts(session, channel=CHANNEL)

    for row in asyncio.run(_with_db(run)):
        config = row.config
        state = "active" if row.active else "inactive"
        print(
            f"{row.id}\t{row.address}\t{state}\timap {config['imap_host']}:{config['imap_port']}"
            f" ({config.get('imap_tls')})\tsmtp {config['smtp_host']}:{config['smtp_port']}"
            f" ({config.get('smtp_tls')})\tcursor {row.state.get('imap', {})}"
        )
    return 0
