"""Inbound API: an integration hands us a customer message (channel 'api'), idempotently."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.deps import TicketsWrite
from store.tickets.api_channel import to_inbound
from store.tickets.schemas import InboundCreate, IngestRead

router = APIRouter(prefix="/api/v1/inbound", tags=["inbound"])


@router.post(
    "",
    response_model=IngestRead,
    status_code=201,
    responses={200: {"model": IngestRead, "description": "A repeat of a known external_id"}},
)
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
