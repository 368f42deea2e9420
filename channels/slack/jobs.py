"""Slack's job: after a message is ingested, put the Slack user's name and email on the contact
and fetch shared files as attachments (gateway/outbox/table.py runs it on message.received)."""

from __future__ import annotations

import logging
from typing import Any

from channels.slack.api import SlackCallError, fetch_file, lookup_user
from channels.slack.config import SlackApp, slack_app
from channels.slack.limits import NAME
from store.actor import Actor
from store.config.models import ChannelAccount
from store.contacts import service as contacts
from store.contacts.models import Contact
from store.jobs import JobContext, RetryLater
from store.tickets import contact_merge
from store.tickets import service as tickets
from store.tickets.models import Message

log = logging.getLogger(__name__)
SLACK = Actor("system", None, "slack")


async def enrich_message(ctx: JobContext, args: dict[str, Any]) -> None:
    """Name and email of the Slack user on the contact; shared files as attachments."""
    async with ctx.db.uow() as session:
        message = await session.get(Message, args["message_id"])
        account = await _account_of(session, message)
        if account is None:
            return
        app = slack_app({**account.config, **account.secrets})
        user_id, pending_files = message.meta.get("user"), _pending_files(message)
    if user_id:
        await _link_user(ctx, app, user_id)
    if pending_files:
        await _attach_files(ctx, app, args["message_id"], pending_files)


async def _account_of(session, message: Message | None) -> ChannelAccount | None:
    account_id = message.meta.get("account_id") if message is not None else None
    account = await session.get(ChannelAccount, account_id) if account_id else None
    return account if account is not None and account.channel == NAME else None


def _pending_files(message: Message) -> list[dict[str, Any]]:
    return [] if "files_fetched" in message.meta else list(message.meta.get("files") or [])


def _retry_or_give_up(exc: SlackCallError, what: str) -> None:
    if exc.retryable:
        raise RetryLater(str(exc), exc.retry_after) from exc
    log.warning("slack %s failed for good: %s", what, exc)


async def _link_user(ctx: JobContext, app: SlackApp, user_id: str) -> None:
    # Found by the Slack identity, not the event's contact_id: an earlier job may have merged
    # that contact into the one who owns the user's email.
    async with ctx.db.uow() as session:
        contact = await contacts.get_by_identity(session, kind="slack", value=user_id)
        if contact is None or contact.attributes.get("slack_user", {}).get("id") == user_id:
            return  # gone, or already looked up: one users.info per person, not per message
    try:
        profile = await lookup_user(app, user_id)
    except SlackCallError as exc:
        _retry_or_give_up(exc, "users.info")
        profile = {"name": None, "email": None}  # not found or no scope: remember we asked
    async with ctx.db.uow() as session:
        contact = await contacts.get_by_identity(session, kind="slack", value=user_id)
        if contact is not None:
            await _apply_profile(session, contact, user_id, profile)


async def _apply_profile(session, contact: Contact, user_id: str, profile: dict) -> None:
    if profile["email"]:
        # Slack's profile email: a customer already known by it (email, API) is this person,
        # so the Slack contact folds into theirs, tickets and all.
        contact = await contact_merge.claim_email(
            session, contact=contact, email=profile["email"], actor=SLACK
        )
    if profile["name"] and not contact.name:
        contact.name = profile["name"]
    contact.attributes = {**contact.attributes, "slack_user": {"id": user_id, **profile}}
    await session.flush()


async def _attach_files(
    ctx: JobContext, app: SlackApp, message_id: int, shared: list[dict[str, Any]]
) -> None:
    fetched, failures = [], []
    limit = ctx.settings.max_attachment_bytes
    for item in shared:
        try:
            name, mimetype = item.get("name"), item.get("mimetype")
            fetched.append(
                await fetch_file(app, item["url_private"], limit, name=name, mimetype=mimetype)
            )
        except SlackCallError as exc:
            _retry_or_give_up(exc, f"file {item.get('id')}")
            failures.append({"id": item.get("id"), "name": item.get("name"), "error": str(exc)})
    # All files land in one transaction, so a retried job never attaches a file twice.
    async with ctx.db.uow() as session:
        message = await session.get(Message, message_id)
        if message is None or "files_fetched" in message.meta:
            return
        message.attachments += [
            tickets.attachment_row(a.filename, a.content_type, a.data) for a in fetched
        ]
        message.meta = {**message.meta, "files_fetched": len(fetched), "file_errors": failures}
