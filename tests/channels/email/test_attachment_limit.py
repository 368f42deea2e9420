"""Email attachments over the limit: the mail is kept, the file is left out with a note, the
kept source loses it too, and the IMAP poller never fetches more than its cap of one message."""

from __future__ import annotations

import base64
import os

from channels.email.imap import ImapPoller
from channels.email.parse import SizeLimits, parse_email
from tests.channels.email.test_imap import IdempotentStore, settings_for
from tests.servers.dovecot import dovecot_server  # noqa: F401  (fixture)

LIMIT = 200_000


def with_attachment(size: int, name: str = "scan.pdf", message_id: str = "<big@c>") -> bytes:
    data = base64.encodebytes(os.urandom(size)).decode().replace("\n", "\r\n")
    return (
        "From: Ann <ann@customer.example>\r\nTo: support@shop.example\r\n"
        f"Subject: My invoice\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe invoice is attached.\r\n"
        "--b1\r\nContent-Type: application/pdf\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{data}--b1--\r\n"
    ).encode()


def test_an_attachment_over_the_limit_is_left_out_with_a_note():
    raw = with_attachment(3 * LIMIT)
    inbound = parse_email(raw, limits=SizeLimits(max_attachment_bytes=LIMIT))
    assert inbound.text == "The invoice is attached." and inbound.attachments == []
    (note,) = inbound.meta["attachments_skipped"]
    assert note["filename"] == "scan.pdf" and note["size"] == 3 * LIMIT
    assert str(LIMIT) in note["reason"]
    assert inbound.external_id == "<big@c>"
    # The source kept for reference no longer carries the file either.
    assert len(inbound.raw) < 5_000 and b"left out by AutoCRM" in inbound.raw
    assert parse_email(inbound.raw).text == "The invoice is attached."


def test_an_attachment_within_the_limit_is_kept_whole():
    raw = with_attachment(LIMIT // 2)
    inbound = parse_email(raw, limits=SizeLimits(max_attachment_bytes=LIMIT))
    (attachment,) = inbound.attachments
    assert len(attachment.data) == LIMIT // 2 and "attachments_skipped" not in inbound.meta
    assert inbound.raw == raw


def test_a_message_fetched_in_part_drops_the_attachment_it_cut():
    raw = with_attachment(3 * LIMIT)[: 2 * LIMIT]
    inbound = parse_email(raw, limits=SizeLimits(max_attachment_bytes=LIMIT, cut_at=2 * LIMIT))
    assert inbound.text == "The invoice is attached." and inbound.attachments == []
    (note,) = inbound.meta["attachments_skipped"]
    assert note["size"] is None and "cut off" in note["reason"]
    assert inbound.meta["cut_at"] == 2 * LIMIT


async def test_the_poller_fetches_no_more_than_its_cap(dovecot):
    user = dovecot.new_user()
    await dovecot.append(user, with_attachment(3 * LIMIT, message_id="<huge@c>"))
    await dovecot.append(user, with_attachment(LIMIT // 2, "small.pdf", "<small@c>"))
    store = IdempotentStore()
    cap = 2 * LIMIT
    settings = settings_for(dovecot, user, max_attachment_bytes=LIMIT, max_message_bytes=cap)
    poller = ImapPoller(settings, store)
    result = await poller.poll_once()
    await poller.close()
    assert result.delivered == 2
    huge, small = store.items["<huge@c>"], store.items["<small@c>"]
    assert huge.text == "The invoice is attached." and huge.attachments == []
    assert huge.meta["cut_at"] == cap and len(huge.raw) <= cap
    assert huge.meta["attachments_skipped"][0]["filename"] == "scan.pdf"
    assert [a.filename for a in small.attachments] == ["small.pdf"]
