"""Slack wired into the gateway: the channel spec, POST /channels/slack/events, the enrich job.

The route only verifies, parses and commits (Slack wants its 200 within 3 seconds); users.info
and file downloads run afterwards in the `slack_enrich_message` job, triggered by the
"message.received" event that the ingest commits together with the message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import Field, SecretStr, model_validator

from channels import registry
from channels.base import Identity, InboundMessage, VerifyError
from channels.slack import (
    NAME,
    SlackApp,
    SlackCallError,
    SlackChannel,
    SlackEvent,
    fetch_file,
    lookup_user,
    parse_event,
    verify_slack,
)
from gateway.jobs import JobContext, RetryLater, job
from store.actor import Actor
from store.config import accounts
from store.config.models import ChannelAccount
from store.contacts import service as contacts
from store.contacts.models import Contact
from store.schemas import Strict
from store.tickets import changes
from store.tickets import service as tickets
from store.tickets.models import Message

log = logging.getLogger(__name__)
SECRET_FIELDS = frozenset({"bot_token", "signing_secret"})
SLACK = Actor("system", None, "slack")


class SlackConfig(Strict):
    """What an admin sends in POST /api/v1/channels {"channel": "slack", "config": {...}}."""

    bot_token: SecretStr
    signing_secret: SecretStr
    # A list, not a set: the admin API stores JSON.
    channel_ids: list[str] = Field(min_length=1)
    team_id: str | None = None
    app_id: str | None = None
    bot_user_id: str | None = None  # optional: events name our bot user in `authorizations`
    api_base_url: str = "https://slack.com/api/"
    file_url_prefix: str = "https://files.slack.com/"

    @model_validator(mode="after")
    def _is_a_slack_app(self) -> SlackConfig:
        slack_app(self.model_dump())  # the adapter's own checks (xoxb- token, secret present)
        return self


def slack_app(config: Mapping[str, Any]) -> SlackApp:
    """The adapter's SlackApp from an account's config plus secrets (extra keys ignored)."""
    values = {key: config[key] for key in SlackApp.model_fields if config.get(key) is not None}
    return SlackApp.model_validate(values)


def _build(config: dict[str, Any], account_id: int | None) -> SlackChannel:
    return SlackChannel(slack_app(config))


registry.register(
    registry.ChannelSpec(
        name=NAME,
        config_model=SlackConfig,
        secret_fields=SECRET_FIELDS,
        build=_build,
        address_of=lambda config: config.get("team_id") or config.get("app_id") or "",
    )
)

router = APIRouter(tags=["channels"])


@router.post("/channels/slack/events")
async def slack_events(request: Request) -> dict[str, Any]:
    """Slack Events API endpoint: answer within 3 s; a 2xx means the message is committed."""
    body = await request.body()
    db = request.app.state.db
    account_id, app = await _verified_account(db, request.headers, body)
    try:
        payload = json.loads(body)
    except ValueError:
        raise HTTPException(400, "body is not JSON") from None
    bot_user_id = app.bot_user_id or _our_bot_user(payload)
    event = parse_event(payload, bot_user_id=bot_user_id, channel_ids=app.channel_ids)
    if event.kind == "url_verification":
        return {"challenge": event.challenge}
    if event.kind == "message":
        # A Slack retry (X-Slack-Retry-Num) repeats channel:ts, so ingest answers duplicate.
        ingested = await request.app.state.ingest.submit(_with_account(event.message, account_id))
        return {"ok": True, "ticket_id": ingested.ticket_id, "duplicate": ingested.duplicate}
    if event.kind in ("edited", "deleted"):
        await _record_change(db, event)
        return {"ok": True}
    log.debug("slack event ignored: %s", event.reason)
    return {"ok": True, "ignored": event.reason}


async def _verified_account(db, headers: Mapping[str, str], body: bytes) -> tuple[int, SlackApp]:
    """The active Slack account whose signing secret signed `body`; 401 when none did."""
    async with db.sessions() as session:
        rows = await accounts.list_accounts(session, channel=NAME, active_only=True)
    reason = "no Slack app is configured"
    for row in rows:
        secret = row.secrets.get("signing_secret")
        if not secret:
            continue
        try:
            verify_slack(headers, body, secret)
        except VerifyError as exc:
            reason = str(exc)
            continue
        return row.id, slack_app({**row.config, **row.secrets})
    raise HTTPException(401, reason)


def _our_bot_user(payload: dict[str, Any]) -> str | None:
    # The (signed) authorizations name the installation's bot user; its echoes must not loop.
    for authorization in payload.get("authorizations") or []:
        if isinstance(authorization, dict) and authorization.get("is_bot"):
            return authorization.get("user_id")
    return None


def _with_account(inbound: InboundMessage, account_id: int) -> InboundMessage:
    inbound.account_id = account_id
    # The stored message keeps who wrote it and through which app, for the enrich job.
    inbound.meta = {**inbound.meta, "account_id": account_id, "user": inbound.sender.value}
    return inbound


async def _record_change(db, event: SlackEvent) -> None:
    change = event.change
    async with db.uow() as session:
        actor = await _actor(session, change.actor)
        if event.kind == "edited":
            await changes.record_edit(
                session,
                channel=NAME,
                external_id=change.external_id,
                text=change.text or "",
                actor=actor,
            )
        else:
            await changes.record_deletion(
                session, channel=NAME, external_id=change.external_id, actor=actor
            )


async def _actor(session, identity: Identity | None) -> Actor:
    if identity is None:  # Slack does not say who deleted a message
        return SLACK
    contact = await contacts.get_by_identity(session, kind=identity.kind, value=identity.value)
    if contact is None:
        return Actor("customer", None, identity.value)
    return Actor("customer", contact.id, contact.name or identity.value)


# --- the enrich job ------------------------------------------------------------------------


@job("slack_enrich_message", on=("message.received",), channels=(NAME,))
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
        contact = await contacts.claim_email(
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
