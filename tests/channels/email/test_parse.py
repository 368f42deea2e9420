"""parse_email on scenario emails: bodies, charsets, attachments, threading, flags, broken input."""

from __future__ import annotations

import base64

from channels.email.parse import parse_email

HEAD = "From: Ann Customer <Ann@Customer.Example>\r\nTo: support@shop.example\r\n"


def email(headers: str, body: str) -> bytes:
    return (HEAD + headers + "\r\n" + body).encode("utf-8")


def test_plain_reply_keeps_new_text_and_full_body():
    raw = email(
        "Subject: Re: Where is my parcel? [#1234]\r\nMessage-ID: <c3@customer.example>\r\n"
        "In-Reply-To: <b2@shop.example>\r\nReferences: <a1@customer.example> <b2@shop.example>\r\n",
        "Still nothing arrived.\r\n\r\nOn Mon, 1 Jan 2024 at 10:00, Shop <support@shop.example>"
        " wrote:\r\n> It left our warehouse.\r\n",
    )
    inbound = parse_email(raw)
    assert inbound.text == "Still nothing arrived."
    assert "It left our warehouse." in inbound.meta["full_text"]
    assert inbound.external_id == "<c3@customer.example>"
    assert inbound.thread_key == "<a1@customer.example>"
    assert inbound.thread_refs == ["<a1@customer.example>", "<b2@shop.example>"]
    assert inbound.meta["ticket_number"] == 1234
    assert inbound.sender.value == "ann@customer.example"
    assert inbound.sender.display_name == "Ann Customer"
    assert inbound.raw == raw and not inbound.flags


def test_thread_key_falls_back_to_in_reply_to_then_own_id():
    replying = parse_email(email("Message-ID: <x@c>\r\nIn-Reply-To: <root@s>\r\n", "hi"))
    fresh = parse_email(email("Message-ID: <new@c>\r\n", "hi"))
    assert replying.thread_key == "<root@s>"
    assert fresh.thread_key == "<new@c>" and fresh.thread_refs == []


def test_missing_message_id_uses_a_hash_of_the_bytes():
    first = parse_email(email("Subject: a\r\n", "one"))
    second = parse_email(email("Subject: a\r\n", "two"))
    assert first.external_id.startswith("sha256:")
    assert first.external_id != second.external_id


def test_html_only_is_sanitised_and_gives_the_text():
    raw = email(
        "Content-Type: text/html; charset=utf-8\r\n",
        "<html><body><p>Hello <b>team</b></p><script>alert(1)</script>"
        "<p onclick='x()'>Second line</p></body></html>",
    )
    inbound = parse_email(raw)
    assert "script" not in inbound.html and "onclick" not in inbound.html
    assert inbound.text == "Hello team\n\nSecond line" or inbound.text == "Hello team\nSecond line"


def test_wrong_and_unknown_charsets_fall_back_without_raising():
    latin = "Café crème".encode("latin-1")
    raw = HEAD.encode() + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + latin + b"\r\n"
    unknown = HEAD.encode() + b"Content-Type: text/plain; charset=x-made-up\r\n\r\nna\xc3\xafve\r\n"
    assert parse_email(raw).text == "Café crème"
    assert parse_email(unknown).text == "naïve"


def test_encoded_word_subject_and_koi8_body():
    body = "Привет".encode("koi8-r")
    raw = (
        HEAD.encode() + b"Subject: =?utf-8?b?" + base64.b64encode("Grüße".encode()) + b"?=\r\n"
        b"Content-Type: text/plain; charset=koi8-r\r\n\r\n" + body + b"\r\n"
    )
    inbound = parse_email(raw)
    assert inbound.subject == "Grüße" and inbound.text == "Привет"


def test_attachments_and_inline_images_become_attachments():
    png = base64.b64encode(b"\x89PNG fake").decode()
    raw = email(
        'Content-Type: multipart/mixed; boundary="B"\r\n',
        '--B\r\nContent-Type: multipart/related; boundary="R"\r\n\r\n'
        '--R\r\nContent-Type: text/html\r\n\r\n<p>See <img src="cid:logo@x"></p>\r\n'
        "--R\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{png}\r\n--R--\r\n"
        "--B\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="invoice.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(b'%PDF-1.4').decode()}\r\n--B--\r\n",
    )
    inbound = parse_email(raw)
    by_name = {a.filename: a for a in inbound.attachments}
    assert by_name["invoice.pdf"].data == b"%PDF-1.4" and not by_name["invoice.pdf"].inline
    [image] = [a for a in inbound.attachments if a.content_type == "image/png"]
    assert image.inline and image.content_id == "logo@x" and image.data == b"\x89PNG fake"
    assert 'src="cid:logo@x"' in inbound.html


def test_out_of_office_is_an_auto_reply():
    headers = [
        "Auto-Submitted: auto-replied\r\n",
        "X-Autoreply: yes\r\n",
        "Precedence: bulk\r\n",
        "X-Auto-Response-Suppress: All\r\n",
        "List-Unsubscribe: <mailto:u@l>\r\n",
        "Subject: Automatic reply: hello\r\n",
    ]
    for header in headers:
        assert "auto_reply" in parse_email(email(header, "I am away.")).flags, header
    assert not parse_email(email("Auto-Submitted: no\r\n", "hi")).flags


def test_dsn_bounce_names_the_original_message_and_status():
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.shop.example>\r\n"
        b"To: support@shop.example\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="D"\r\n\r\n'
        b"--D\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--D\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.shop.example\r\n"
        b"\r\nFinal-Recipient: rfc822; gone@c.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        b"--D\r\nContent-Type: message/rfc822\r\n\r\nFrom: support@shop.example\r\n"
        b"Message-ID: <our-reply-1@shop.example>\r\nSubject: Re: x\r\n\r\nbody\r\n--D--\r\n"
    )
    inbound = parse_email(raw)
    assert {"bounce", "auto_reply"} <= inbound.flags
    assert inbound.meta["bounced_message_id"] == "<our-reply-1@shop.example>"
    assert inbound.meta["bounce_status"] == "5.1.1"
    assert "User unknown" in inbound.meta["bounce_diagnostic"]


def test_own_address_is_flagged_from_self():
    inbound = parse_email(email("Subject: loop\r\n", "x"), our_addresses=["ANN@customer.example"])
    assert "from_self" in inbound.flags


def test_garbage_is_flagged_malformed_and_keeps_the_bytes():
    for raw in (b"", b"\x00\xff\xfe garbage without headers", b"Content-Type: multipart/mixed\r\n"):
        inbound = parse_email(raw)
        assert "malformed" in inbound.flags
        assert inbound.raw == raw and inbound.external_id.startswith("sha256:")


def test_broken_multipart_is_malformed_but_readable():
    raw = email('Content-Type: multipart/mixed; boundary="NOPE"\r\n', "just text, no parts\r\n")
    inbound = parse_email(raw)
    assert "malformed" in inbound.flags and "just text" in inbound.meta["full_text"]
