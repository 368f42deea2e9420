"""Fitting a parsed email into the store's columns: undecodable header bytes, NULs, long ids."""

from __future__ import annotations

from channels.email.ingest import clean, fit_columns
from store.messages import Attachment, Identity, InboundMessage


def test_surrogate_escaped_header_bytes_are_decoded_and_nuls_dropped():
    latin1_subject = "Caf\udce9 cr\udce8me"  # what the email package leaves for 8-bit bytes
    assert clean(latin1_subject) == "Café crème"
    assert clean({"a": ["x\x00y", "\ud800"]}) == {"a": ["xy", "?"]}


def test_long_ids_are_hashed_stably_and_texts_fit_their_columns():
    monster = "<" + "x" * 600 + "@c>"
    inbound = InboundMessage(
        channel="email",
        external_id=monster,
        thread_key=monster,
        sender=Identity("email", "ann@c.example", "A" * 300),
        text="hi\x00",
        subject="S" * 900,
        attachments=[Attachment("n\x00.pdf", "application/pdf", b"%PDF")],
    )
    fit_columns(inbound)
    assert inbound.external_id.startswith("sha256:") and inbound.external_id == inbound.thread_key
    assert len(inbound.subject) == 500 and len(inbound.sender.display_name) == 200
    assert inbound.text == "hi" and inbound.attachments[0].filename == "n.pdf"
