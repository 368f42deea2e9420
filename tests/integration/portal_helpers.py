"""Portal test helpers: a mailbox on the real SMTP server, customers' first messages through
the ingest path, and the sign-in link read from the mail the SMTP server accepted."""

from __future__ import annotations

import re
import uuid
from email import message_from_bytes, policy
from urllib.parse import urlsplit

from store.config import accounts
from store.messages import Identity, InboundMessage
from store.tickets.ingest_writer import write_one
from tests.servers.ports import free_port

LINK = re.compile(r"https?://\S+/portal/auth\?t=\S+")


OURS = "support@shop.example"


async def configure_mailbox(app, smtp_server) -> None:
    """The support mailbox, sending through the test's real SMTP server. Its IMAP side points
    at a closed loopback port (its poller retries quietly): the portal only sends."""
    controller, _handler = smtp_server
    config = {
        "address": OURS,
        "from_name": "Shop Support",
        "imap_host": "127.0.0.1",
        "imap_port": free_port(),
        "imap_tls": "none",
        "imap_user": "support",
        "smtp_host": controller.hostname,
        "smtp_port": controller.port,
        "smtp_tls": "none",
        "poll_interval": 30.0,
    }
    async with app.state.db.uow() as session:
        await accounts.create(
            session,
            channel="email",
            name="Support",
            address=OURS,
            config=config,
            secrets={"imap_password": "unused"},
        )


async def customer_writes(app, *, channel: str, kind: str, value: str, text: str, name=None):
    """A customer's message through the ingest writer, as a channel hands it over."""
    inbound = InboundMessage(
        channel=channel,
        external_id=uuid.uuid4().hex,
        thread_key=f"{kind}:{value}",
        sender=Identity(kind, value, name),
        text=text,
        subject=text[:40],
    )
    done = await write_one(app.state.db, inbound)
    return done.ticket_id


def sign_in_links(handler, to: str) -> list[str]:
    """The paths of every sign-in link mailed to `to`, oldest first."""
    found = []
    for envelope in handler.envelopes:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        if mail["Subject"] == "Your sign-in link" and to in envelope.rcpt_tos:
            url = LINK.search(mail.get_content())[0]
            parts = urlsplit(url)
            found.append(f"{parts.path}?{parts.query}")
    return found


async def sign_in(client, handler, email: str) -> None:
    """Ask for a link, open it, press the button: the client holds the portal cookie."""
    asked = await client.post("/portal/sign-in", data={"email": email})
    assert asked.status_code == 200, asked.text
    path = sign_in_links(handler, email)[-1]
    opened = await client.get(path)
    assert opened.status_code == 200, opened.text
    token = re.search(r'name="t" value="([^"]+)"', opened.text)[1]
    used = await client.post("/portal/auth", data={"t": token})
    assert used.status_code == 303 and used.headers["location"] == "/portal"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]
