"""Inbound API: an integration hands us a customer message (channel 'api'), idempotently."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.deps import TicketsWrite
from store.errors import Invalid
from store.messages import Identity, InboundMessage
from store.tickets.schemas import InboundCreate, IngestRead

router = APIRouter(prefix="/api/v1/inbound", tags=["inbound"])


def to_inbound(data: InboundCreate) -> InboundMessage:
    customer = data.customer
    if customer.email:
        sender = Identity("email", str(customer.email), customer.name)
    elif customer.phone:
        sender = Identity("phone", customer.phone, customer.name)
    else:
        raise Invalid("customer needs an email or a phone")
    return InboundMessage(
        channel="api",
        external_id=data.external_id,
        thread_key=data.thread_key or f"{sender.kind}:{sender.value}",
        sender=sender,
        text=data.body,
        subject=data.subject,
    )


@router.post("", response_model=IngestRead, status_code=201)
async def inbound(data: InboundCreate, request: Request, who: TicketsWrite, response: Response):
    """Answers once the message is committed; a repeated external_id answers 200, not 201."""
    result = await request.app.state.ingest.submit(to_inbound(data))
    if result.duplicate:
        response.status_code = 200
    return IngestRead(
        ticket_id=result.ticket_id,
        message_id=result.message_id,
        duplicate=result.duplicate,
        created_ticket=result.created_ticket,
    )
