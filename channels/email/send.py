"""The email channel's sending side: a reply into the ticket's thread through the mailbox's SMTP.

Threading headers come from the ticket's earlier messages (their external ids are Message-IDs);
the Message-ID we generate is returned as the receipt, stored as the message's external id, so
a customer's answer to it finds the ticket. Loop protection: we never write to our own address,
and automatic (bot) replies to one address are capped per window.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channels.base import SendError
from channels.email.guard import guard_for
from channels.email.headers import message_ids
from channels.email.limits import LIMITS, NAME
from channels.email.mailbox import sender, smtp_settings
from channels.email.outbound import build_email
from channels.email.smtp import send_email
from store.messages import OutboundMessage, Receipt


class EmailChannel:
    """Sends a mailbox's replies over its SMTP, threaded on the ticket's earlier Message-IDs."""

    name = NAME
    limits = LIMITS

    def __init__(self, config: Mapping[str, Any], account_id: int | None):
        self.config = dict(config)
        self.account_id = account_id

    async def send(self, outbound: OutboundMessage) -> Receipt:
        if not self.config.get("smtp_host"):
            raise SendError("the ticket's mailbox is not configured for sending", retryable=False)
        recipient = outbound.recipient.value.strip().lower()
        self._check_recipient(recipient, outbound.automated)
        outbound.thread_refs = _message_ids_only(outbound.thread_refs)
        message, message_id = build_email(outbound, sender(self.config))
        reply = await send_email(message, smtp_settings(self.config))
        if outbound.automated:
            guard_for(self.account_id).record_auto_reply(recipient)
        return Receipt(message_id, meta={"smtp_reply": reply[:300], "to": recipient})

    def _check_recipient(self, recipient: str, automated: bool) -> None:
        if "@" not in recipient:
            raise SendError("the contact has no email address to reply to", retryable=False)
        if recipient == self.config.get("address", "").lower():
            raise SendError(f"refusing to send to our own address {recipient}", retryable=False)
        guard = guard_for(self.account_id)
        if automated and not guard.replies.allows(recipient):
            raise SendError(
                f"automatic replies to {recipient} are capped at {guard.replies.limit} per "
                f"{guard.replies.window / 3600:g} h; a person can still answer",
                retryable=False,
            )


def _message_ids_only(refs: list[str]) -> list[str]:
    # A message stored without a Message-ID has a content hash as its id: not a reference.
    return [ref for ref in refs if message_ids(ref) == [ref] and "@" in ref]
