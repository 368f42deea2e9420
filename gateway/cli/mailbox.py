"""`autocrm mailbox add|list`: support mailboxes from the command line.

`add` checks the config as `POST /api/v1/channels` does and calls the same store verb, so a
mailbox added here is the row the API would make; it does not connect to the servers, and a
running `autocrm serve` starts polling it at its next look at the accounts.
"""

from __future__ import annotations

import argparse

from gateway.cli.base import CLI_ACTOR, in_session
from store.config import accounts

CHANNEL = "email"
TLS = ("none", "starttls", "ssl")


def _config(args: argparse.Namespace) -> dict:
    from channels.email.mailbox import MailboxConfig  # the channels load only for `add`

    # Options are named after the config fields; the ones not given keep the model's defaults.
    fields = MailboxConfig.model_fields
    return {key: getattr(args, key) for key in fields if getattr(args, key, None) is not None}


def mailbox_add(args: argparse.Namespace) -> int:
    from gateway.channel_accounts import validate_account

    valid = validate_account(CHANNEL, _config(args))

    async def run(session):
        return await accounts.create_account(
            session,
            channel=CHANNEL,
            name=args.name or valid.address,
            address=valid.address,
            config=valid.config,
            secrets=valid.secrets,
            actor=CLI_ACTOR,
        )

    account = in_session(run)
    secrets = ", ".join(sorted(account.secrets)) or "none"
    print(f"added mailbox {account.address} (account {account.id}); secrets stored: {secrets}")
    return 0


def mailbox_list(args: argparse.Namespace) -> int:
    async def run(session):
        return await accounts.list_accounts(session, channel=CHANNEL)

    for row in in_session(run):
        config = row.config
        state = "active" if row.active else "inactive"
        print(
            f"{row.id}\t{row.address}\t{state}\timap {config['imap_host']}:{config['imap_port']}"
            f" ({config.get('imap_tls')})\tsmtp {config['smtp_host']}:{config['smtp_port']}"
            f" ({config.get('smtp_tls')})\tcursor {row.state.get('imap', {})}"
        )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
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
    p.set_defaults(run=mailbox_add)
    actions.add_parser("list", help="configured mailboxes (secrets are never shown)").set_defaults(
        run=mailbox_list
    )
