"""Email to staff (an unseen-wait alert, an SLA rule's "notify a lead"): the outbox job that
sends it through the SMTP of the first active support mailbox (the same send path as the
email channel's replies), so nothing else needs configuring. Declared in table.py on the
events that name whom to tell (`notify_user_ids`, `email: true`)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select

from channels.base import SendError
from channels.email.mailbox import sender, smtp_settings
from channels.email.smtp import send_email
from store.config import accounts
from store.jobs import JobContext, RetryLater
from store.outbox.models import Event
from store.staff.models import User
from store.tickets.models import Ticket

log = logging.getLogger(__name__)


def _words(kind: str, payload: dict, ticket: Ticket) -> tuple[str, str]:
    """(subject, first paragraph) of the email for the event."""
    name = f"#{ticket.number} {ticket.subject or '(no subject)'}"
    if kind == "ticket.unseen_alert":
        minutes = payload.get("minutes")
        if payload.get("wait") == "unopened":
            return (
                f"[AutoCRM] Assigned to you and not opened for {minutes} min: {name}",
                f"Ticket {name} was assigned to you {minutes} minutes ago and is still unopened.",
            )
        return (
            f"[AutoCRM] Waiting unassigned for {minutes} min: {name}",
            f"Ticket {name} needs a human and has waited unassigned for {minutes} minutes.",
        )
    rule, metric = payload.get("rule_name"), str(payload.get("metric", "")).replace("_", " ")
    what = "breached" if payload.get("source") == "ticket.sla_breached" else "is about to breach"
    return (
        f"[AutoCRM] SLA {metric} {what}: {name}",
        f"Ticket {name}: its {metric} target {what}. SLA rule {rule!r} asked to tell you"
        + (f"; it also did: {', '.join(payload['done'])}." if payload.get("done") else "."),
    )


async def notify_staff(ctx: JobContext, args: dict) -> None:
    if not args.get("email") or not args.get("notify_user_ids"):
        return
    async with ctx.db.read() as session:
        ticket = await session.get(Ticket, args["ticket_id"])
        rows = await session.scalars(
            select(User.email).where(User.id.in_(args["notify_user_ids"]), User.is_active)
        )
        to = sorted(rows)
        mailboxes = await accounts.list_accounts(session, channel="email", active_only=True)
        config = {**mailboxes[0].config, **mailboxes[0].secrets} if mailboxes else None
        event = await session.get(Event, args["event_id"])
        kind = event.type if event is not None else ""
        if ticket is None or not to:
            return
        subject, lead = _words(kind, args, ticket)
        number, ticket_id = ticket.number, ticket.id
    if config is None:
        log.warning("no active mailbox to send staff email from; %s not emailed", kind)
        return
    url = f"{ctx.settings.public_url.rstrip('/')}/console/tickets/{ticket_id}"
    message = EmailMessage()
    me = sender(config)
    message["From"] = formataddr((me.display_name or "AutoCRM", me.address))
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=me.address.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # no auto-replies back, no loops
    message["X-AutoCRM-Ticket"] = str(number)
    message.set_content(f"{lead}\n\nOpen it: {url}\n")
    try:
        await send_email(message, smtp_settings(config))
    except SendError as exc:
        if exc.retryable:
            raise RetryLater(str(exc)) from exc
        log.warning("staff email for ticket %s refused: %s", ticket_id, exc)
