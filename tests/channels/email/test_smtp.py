"""Sending through a real aiosmtpd server: headers arrive intact, failures map to SendError."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from channels.base import SendError
from channels.email.outbound import MailboxSettings, build_email
from channels.email.smtp import SmtpSettings, send_email
from store.messages import Identity, OutboundMessage
from tests.servers.smtp import failing_smtp_server_fixture, smtp_server_fixture  # noqa: F401

MAILBOX = MailboxSettings(address="support@shop.example", display_name="Shop Support")


def reply(**overrides) -> OutboundMessage:
    values = dict(
        channel="email",
        ticket_id=7,
        ticket_number=1234,
        message_id=99,
        text="Your parcel left our warehouse today.",
        recipient=Identity("email", "ann@c.example"),
        thread_key="<root@c.example>",
        subject="Re: Where is my parcel? [#1234]",
        thread_refs=["<root@c.example>", "<second@c.example>"],
        automated=True,
    )
    values.update(overrides)
    return OutboundMessage(**values)


def settings_for(controller) -> SmtpSettings:
    return SmtpSettings(host=controller.hostname, port=controller.port, tls="none", timeout=10)


async def test_reply_reaches_the_server_with_thread_and_loop_headers(smtp_server):
    controller, handler = smtp_server
    message, message_id = build_email(reply(html="<p>Your parcel left</p>"), MAILBOX)

    await send_email(message, settings_for(controller))

    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == ["ann@c.example"]
    received = message_from_bytes(envelope.original_content, policy=policy.default)
    assert received["Message-ID"] == message_id
    assert received["In-Reply-To"] == "<second@c.example>"
    assert received["References"] == "<root@c.example> <second@c.example>"
    assert received["Subject"] == "Re: Where is my parcel? [#1234]"
    assert received["Auto-Submitted"] == "auto-replied"
    assert received.get_body(("plain",)).get_content().strip().startswith("Your parcel left")
    assert "<p>Your parcel left</p>" in received.get_body(("html",)).get_content()


async def test_temporary_then_permanent_refusal_map_to_retryable_flags(failing_smtp_server):
    controller, handler = failing_smtp_server
    message, _ = build_email(reply(), MAILBOX)

    with pytest.raises(SendError) as temporary:
        await send_email(message, settings_for(controller))
    with pytest.raises(SendError) as permanent:
        await send_email(message, settings_for(controller))

    assert handler.attempts == 2
    assert temporary.value.retryable is True and "451" in str(temporary.value)
    assert permanent.value.retryable is False and "550" in str(permanent.value)


async def test_unreachable_server_is_retryable():
    from tests.servers.dovecot import free_port

    settings = SmtpSettings(host="127.0.0.1", port=free_port(), tls="none", timeout=5)
    message, _ = build_email(reply(), MAILBOX)
    with pytest.raises(SendError) as failure:
        await send_email(message, settings)
    assert failure.value.retryable is True
