"""Outgoing webhook subscriptions and their delivery logs (admin)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from gateway.deps import Admin, Session
from store.outbox import service as outbox
from store.schemas import Strict

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class WebhookCreate(Strict):
    url: AnyHttpUrl
    event_types: list[str] = Field(default_factory=list)
    secret: str | None = Field(default=None, min_length=16, max_length=200)


class WebhookUpdate(Strict):
    url: AnyHttpUrl | None = None
    event_types: list[str] | None = None
    active: bool | None = None


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    url: str
    event_types: list[str]
    active: bool
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str  # shown once; receivers verify X-AutoCRM-Signature with it


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    event_id: int | None
    status: str
    attempts: int
    response_code: int | None
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    finished_at: datetime | None


@router.post("", status_code=201, response_model=WebhookCreated)
async def create_webhook(data: WebhookCreate, session: Session, who: Admin):
    return await outbox.create_webhook(
        session, url=str(data.url), event_types=data.event_types, secret=data.secret
    )


@router.get("", response_model=list[WebhookRead])
async def list_webhooks(session: Session, who: Admin):
    return await outbox.list_webhooks(session)


@router.patch("/{webhook_id}", response_model=WebhookRead)
async def update_webhook(webhook_id: int, data: WebhookUpdate, session: Session, who: Admin):
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "url" in changes:
        changes["url"] = str(changes["url"])
    return await outbox.update_webhook(session, webhook_id=webhook_id, changes=changes)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: int, session: Session, who: Admin):
    await outbox.delete_webhook(session, webhook_id=webhook_id)


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryRead])
async def list_deliveries(webhook_id: int, session: Session, who: Admin):
    await outbox.get_webhook(session, webhook_id=webhook_id)
    return await outbox.list_deliveries(session, webhook_id=webhook_id)
