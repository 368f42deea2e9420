"""Email flow helpers: a mailbox configured through the API on a real Dovecot user and a real
aiosmtpd server, customer emails built as raw RFC 822 bytes, and waiting for the gateway."""

from __future__ import annotations

import asyncio
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx

OURS = "support@shop.example"
CUSTOMER = "ann@customer.example"


def mailbox_config(dovecot, user: str, smtp_controller, **extra) -> dict:
    return {
        "address": OURS,
        "from_name": "Shop Support",
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_tls": "none",
        "imap_user": user,
        "imap_password": dovecot.password,
        "smtp_host": smtp_controller.hostname,
        "smtp_port": smtp_controller.port,
        "smtp_tls": "none",
        "smtp_user": None,
        "poll_interval": 0.2,
        **extra,
    }


async def add_mailbox(client: httpx.AsyncClient, headers: dict, config: dict) -> dict:
    config = {k: v for k, v in config.items() if v is not None}
    response = await client.post(
        "/api/v1/channels",
        json={"channel": "email", "name": "Support", "config": config},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def new_id(domain: str = "customer.example") -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def customer_email(
    body: str = "My order #991 has not arrived. Can you check?",
    *,
    subject: str = "Where is my parcel?",
    sender: str = CUSTOMER,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[bytes, str]:
    """(raw bytes, Message-ID) of an email a customer's mail client would send."""
    msg = EmailMessage()
    msg["From"] = f"Ann Customer <{sender}>"
    msg["To"] = OURS
    msg["Subject"] = subject
    msg["Message-ID"] = message_id = message_id or new_id()
    msg["Date"] = "Mon, 01 Jan 2024 10:00:00 +0000"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join(references or [in_reply_to])
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes(), message_id


def bounce_of(original_message_id: str, recipient: str = CUSTOMER) -> bytes:
    """A DSN (RFC 3464) as Postfix sends it for a message we sent."""
    boundary = uuid.uuid4().hex
    return (
        f"From: MAILER-DAEMON@mx.customer.example (Mail Delivery System)\r\n"
        f"To: {OURS}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {new_id('mx.customer.example')}\r\nAuto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\r\n"
        f"\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.customer.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected\r\n"
        f"\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Shop Support <{OURS}>\r\nTo: {recipient}\r\n"
        f"Message-ID: {original_message_id}\r\nSubject: Re: Where is my parcel?\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()


def received(envelope) -> EmailMessage:
    return message_from_bytes(envelope.original_content, policy=policy.default)


async def wait_until(predicate, timeout: float = 15.0, what: str = "condition"):
    """Poll an async predicate until it returns something truthy; returns that."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"{what} not reached in {timeout}s"
        await asyncio.sleep(0.05)


async def email_tickets(client: httpx.AsyncClient, headers: dict) -> list[dict]:
    response = await client.get("/api/v1/tickets?channel=email&sort=created", headers=headers)
    return response.json()["items"]


async def messages(client: httpx.AsyncClient, headers: dict, ticket_id: int) -> list[dict]:
    return (await client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=headers)).json()


async def reply(client: httpx.AsyncClient, headers: dict, ticket_id: int, body: str) -> dict:
    response = await client.post(
        f"/api/v1/tickets/{ticket_id}/messages", json={"body": body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()
