"""Slack's webhook: POST /channels/slack/events (the enrich job is channels/slack/jobs.py).

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

from channels.base import VerifyError
from channels.slack.config import SlackApp, slack_app
from channels.slack.limits import NAME
from channels.slack.parse import SlackEvent, parse_event
from channels.slack.verify import verify_slack
from store.actor import Actor
from store.config import accounts
from store.contacts import service as contacts
from store.messages import Identity, InboundMessage
from store.tickets import changes

log = logging.getLogger(__name__)
SLACK = Actor("system", None, "slack")


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
