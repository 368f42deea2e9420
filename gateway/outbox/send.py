"""The send job: deliver a queued outbound message through its ticket's channel adapter."""

from __future__ import annotations

from channels import registry
from channels.base import SendError
from store import files
from store.config import accounts
from store.contacts.models import Contact
from store.jobs import JobContext, RetryLater
from store.messages import Attachment, Identity, OutboundMessage
from store.tickets import delivery
from store.tickets.models import Message, Ticket

# Which identity of the contact a channel sends to.
RECIPIENT_KIND = {
    "email": "email",
    "twilio_sms": "phone",
    "twilio_voice": "phone",
    "slack": "slack",
    "webchat": "widget",
}


def _recipient(contact: Contact | None, channel: str) -> Identity:
    kind = RECIPIENT_KIND.get(channel, "email")
    for identity in contact.identities if contact else []:
        if identity.kind == kind:
            return Identity(kind, identity.value, contact.name or None)
    return Identity(kind, "", contact.name if contact else None)


async def _build(session, message: Message, ticket: Ticket) -> tuple[OutboundMessage, dict]:
    contact = await session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    config: dict = {}
    if ticket.channel_account_id:
        account = await accounts.get(session, account_id=ticket.channel_account_id)
        config = {**account.config, **account.secrets}
    outbound = OutboundMessage(
        channel=ticket.channel,
        ticket_id=ticket.id,
        ticket_number=ticket.number,
        message_id=message.id,
        text=message.text,
        html=message.html,
        subject=ticket.subject,
        recipient=_recipient(contact, ticket.channel),
        thread_key=ticket.thread_key or "",
        thread_refs=await delivery.thread_refs(session, ticket_id=ticket.id, before_id=message.id),
        automated=bool(message.meta.get("automated")),
        attachments=[_attachment(a) for a in message.attachments],
        # Adapters read their own keys: a partial send's progress, the contact's SMS opt-out.
        meta={**message.meta, "contact_attributes": dict(contact.attributes) if contact else {}},
    )
    return outbound, config


def _attachment(row) -> Attachment:
    return Attachment(row.filename, row.content_type, files.read(row.sha256))


async def gave_up(ctx: JobContext, args: dict, error: str) -> None:
    async with ctx.db.uow() as session:
        message = await session.get(Message, args["message_id"])
        if message is not None and message.delivery_status == "queued":
            await delivery.mark_failed(session, message=message, error=f"gave up: {error}")


async def _remember_progress(ctx: JobContext, message_id: int, progress: dict | None) -> None:
    """Parts that went out before a failure, so the retry does not send them twice."""
    if progress:
        async with ctx.db.uow() as session:
            message = await session.get(Message, message_id)
            message.meta = {**message.meta, **progress}


async def send_message(ctx: JobContext, args: dict) -> None:
    async with ctx.db.uow() as session:
        message = await session.get(Message, args["message_id"])
        if message is None or message.delivery_status != "queued":
            return  # already sent by an earlier attempt, or deleted
        ticket = await session.get(Ticket, message.ticket_id)
        spec = registry.get(ticket.channel)
        if spec is None or spec.build is None:
            # No adapter (e.g. the 'api' channel): integrations take it from the webhook.
            await delivery.mark_sent(session, message=message, external_id=f"local:{message.id}")
            return
        outbound, config = await _build(session, message, ticket)
    adapter = spec.build(config, ticket.channel_account_id)
    try:
        receipt = await adapter.send(outbound)
    except SendError as exc:
        if exc.retryable:
            await _remember_progress(ctx, message.id, getattr(exc, "progress", None))
            raise RetryLater(str(exc), exc.retry_after) from exc
        async with ctx.db.uow() as session:
            await delivery.mark_failed(
                session, message=await session.get(Message, message.id), error=str(exc)
            )
        return
    async with ctx.db.uow() as session:
        await delivery.mark_sent(
            session,
            message=await session.get(Message, message.id),
            external_id=receipt.external_id,
            meta=receipt.meta,
        )
