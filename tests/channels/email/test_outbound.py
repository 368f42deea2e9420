"""Building reply MIME: subject token, thread headers, alternatives, attachments, loop headers."""

from __future__ import annotations

from channels.email.outbound import MailboxSettings, build_email, reply_subject
from store.messages import Attachment, Identity, OutboundMessage

MAILBOX = MailboxSettings(address="help@shop.example", display_name="Shop")


def outbound(**overrides) -> OutboundMessage:
    values = dict(
        channel="email",
        ticket_id=1,
        ticket_number=42,
        message_id=5,
        text="Thanks, done.",
        recipient=Identity("email", "ann@c.example", "Ann"),
        thread_key="<a@c>",
        subject="Broken lamp",
        thread_refs=["<a@c>", "<b@shop.example>", "<c@c>"],
    )
    values.update(overrides)
    return OutboundMessage(**values)


def test_subject_gets_one_re_and_one_token():
    assert reply_subject("Broken lamp", 42) == "Re: Broken lamp [#42]"
    assert reply_subject("Re: RE: Aw: Broken lamp [#42]", 42) == "Re: Broken lamp [#42]"
    assert reply_subject("RE: [#42] Broken lamp", 42) == "Re: Broken lamp [#42]"
    assert reply_subject(None, 7) == "Re: Your request [#7]"


def test_thread_headers_answer_the_last_reference():
    msg, message_id = build_email(outbound(), MAILBOX)
    assert msg["In-Reply-To"] == "<c@c>"
    assert msg["References"] == "<a@c> <b@shop.example> <c@c>"
    assert message_id == msg["Message-ID"] and message_id.endswith("@shop.example>")
    assert msg["To"] == "Ann <ann@c.example>" and msg["From"] == "Shop <help@shop.example>"


def test_long_threads_keep_the_root_and_the_latest_references():
    refs = [f"<m{n}@c>" for n in range(40)]
    msg, _ = build_email(outbound(thread_refs=refs), MAILBOX)
    kept = str(msg["References"]).split()
    assert kept[0] == "<m0@c>" and kept[-1] == "<m39@c>" and len(kept) == 20


def test_human_reply_has_no_auto_submitted_but_bot_reply_does():
    human, _ = build_email(outbound(), MAILBOX)
    bot, _ = build_email(outbound(automated=True), MAILBOX)
    assert human["Auto-Submitted"] is None
    assert bot["Auto-Submitted"] == "auto-replied" and bot["X-Auto-Response-Suppress"] == "All"


def test_html_alternative_and_attachments():
    files = [
        Attachment("label.pdf", "application/pdf", b"%PDF"),
        Attachment("logo.png", "image/png", b"PNG", inline=True, content_id="logo@shop"),
    ]
    msg, _ = build_email(outbound(html="<p>Thanks</p>", attachments=files), MAILBOX)
    assert msg.get_body(("plain",)).get_content().strip() == "Thanks, done."
    assert "<p>Thanks</p>" in msg.get_body(("html",)).get_content()
    parts = {p.get_filename(): p for p in msg.iter_attachments()}
    assert parts["label.pdf"].get_content() == b"%PDF"
    assert parts["logo.png"]["Content-ID"] == "<logo@shop>"
    assert parts["logo.png"].get_content_disposition() == "inline"
