"""The portal's sign-in email, sent through the first active support mailbox's SMTP (the
address customers already get our replies from), and the throttle on asking for one.

Sized so nobody who simply asks again meets it: 5 links per address and 30 per client
network address in 15 minutes. The refusal names no account.
"""

from __future__ import annotations

from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from channels.email.mailbox import smtp_settings
from channels.email.smtp import send_email
from gateway.throttle import KEEP, Limit, Throttled
from store.config import accounts
from store.db import Database
from store.staff import throttle

PER_EMAIL = Limit("portal-link-email", 5, timedelta(minutes=15))
PER_ADDRESS = Limit("portal-link-address", 30, timedelta(minutes=15))


class NoMailbox(Exception):
    """No active email channel account can send the link."""


async def count_request(db: Database, *, email: str, address: str) -> None:
    """Count one link asked for; raises Throttled once either bucket is full."""
    async with db.uow() as session:
        for limit, value in ((PER_EMAIL, email), (PER_ADDRESS, address)):
            bucket = throttle.bucket(limit.kind, value)
            wait = await throttle.wait_seconds(
                session, bucket=bucket, limit=limit.hits, window=limit.window
            )
            if wait:
                raise Throttled(wait)
        for limit, value in ((PER_EMAIL, email), (PER_ADDRESS, address)):
            await throttle.hit(session, bucket=throttle.bucket(limit.kind, value), keep=KEEP)


async def mailbox_config(db: Database) -> dict:
    async with db.read() as session:
        found = await accounts.list_accounts(session, channel="email", active_only=True)
        usable = [{**a.config, **a.secrets} for a in found if a.config.get("smtp_host")]
    if not usable:
        raise NoMailbox("no active mailbox with SMTP settings")
    return usable[0]


def link_email(config: dict, *, to: str, link: str, minutes: int) -> EmailMessage:
    msg = EmailMessage()
    sender = config["address"]
    msg["From"] = str(Address(display_name=config.get("from_name") or "", addr_spec=sender))
    msg["To"] = to
    msg["Subject"] = "Your sign-in link"
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-responder answers it
    msg.set_content(
        "Open this link to see your tickets:\n\n"
        f"{link}\n\n"
        f"It works once, for {minutes} minutes. If you did not ask for it, ignore this email.\n"
    )
    return msg


async def send_link(db: Database, *, to: str, link: str, minutes: int) -> None:
    """Raises NoMailbox, or channels.base.SendError when the SMTP server refuses."""
    config = await mailbox_config(db)
    await send_email(link_email(config, to=to, link=link, minutes=minutes), smtp_settings(config))
