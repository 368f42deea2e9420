"""The 'api' channel: a customer message an integration hands over, as an InboundMessage."""

from __future__ import annotations

from store.errors import Invalid
from store.messages import Identity, InboundMessage
from store.tickets.schemas import InboundCreate

NAME = "api"


def to_inbound(data: InboundCreate) -> InboundMessage:
    """The sender is the customer's email, else their phone; without a thread key of its own,
    the conversation is the sender's (one open ticket per customer on this channel)."""
    customer = data.customer
    if customer.email:
        sender = Identity("email", str(customer.email), customer.name)
    elif customer.phone:
        sender = Identity("phone", customer.phone, customer.name)
    else:
        raise Invalid("customer needs an email or a phone")
    return InboundMessage(
        channel=NAME,
        external_id=data.external_id,
        thread_key=data.thread_key or f"{sender.kind}:{sender.value}",
        sender=sender,
        text=data.body,
        subject=data.subject,
    )
