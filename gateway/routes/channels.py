"""Channel accounts API (admin): mailboxes, Twilio numbers, Slack apps, widgets.

The body's `config` is validated by the channel's own model; secrets go in and never come out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from gateway.channel_accounts import validate_account
from gateway.deps import Admin, Session
from store.config import accounts
from store.schemas import Strict

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


class AccountCreate(Strict):
    channel: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)


class AccountUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    config: dict[str, Any] | None = None
    active: bool | None = None


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    channel: str
    name: str
    address: str
    config: dict[str, Any]
    secrets_set: list[str] = []
    active: bool
    created_at: datetime


def _read(row) -> AccountRead:
    out = AccountRead.model_validate(row)
    out.secrets_set = sorted(row.secrets)
    return out


@router.post("", status_code=201, response_model=AccountRead)
async def create_account(data: AccountCreate, session: Session, who: Admin):
    valid = validate_account(data.channel, data.config)
    row = await accounts.create_account(
        session,
        channel=data.channel,
        name=data.name,
        address=valid.address,
        config=valid.config,
        secrets=valid.secrets,
        actor=who.actor,
    )
    return _read(row)


@router.get("", response_model=list[AccountRead])
async def list_accounts(session: Session, who: Admin, channel: str | None = None):
    return [_read(r) for r in await accounts.list_accounts(session, channel=channel)]


@router.get("/{account_id}", response_model=AccountRead)
async def get_account(account_id: int, session: Session, who: Admin):
    return _read(await accounts.get(session, account_id=account_id))


@router.patch("/{account_id}", response_model=AccountRead)
async def update_account(account_id: int, data: AccountUpdate, session: Session, who: Admin):
    row = await accounts.get(session, account_id=account_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True, exclude={"config"})
    if data.config is not None:
        # Merged over what is stored, so a change may leave out the secrets it keeps.
        valid = validate_account(row.channel, {**row.config, **row.secrets, **data.config})
        changes |= {"config": valid.config, "secrets": valid.secrets, "address": valid.address}
    return _read(await accounts.update(session, account_id=account_id, changes=changes))


@router.delete("/{account_id}", status_code=204)
async def delete_account(account_id: int, session: Session, who: Admin):
    await accounts.delete(session, account_id=account_id)
