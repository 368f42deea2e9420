"""A widget `message` -> InboundMessage in the visitor's conversation. Pure."""

from __future__ import annotations

from channels.webchat.limits import NAME
from channels.webchat.verify import Visitor
from store.messages import Attachment, Identity, InboundMessage


def parse(
    visitor: Visitor, client_id: str, text: str, attachments: list[Attachment]
) -> InboundMessage:
    """A widget `message` as an inbound message; the client id makes a resend idempotent."""
    sender = (
        Identity("user", visitor.user_id) if visitor.user_id else Identity("widget", visitor.id)
    )
    return InboundMessage(
        channel=NAME,
        external_id=f"{visitor.id}:{client_id}",
        thread_key=visitor.conversation_id,
        sender=sender,
        text=text,
        account_id=visitor.account_id,
        attachments=attachments,
        meta={"client_id": client_id, "visitor": visitor.id},
    )
