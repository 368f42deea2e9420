"""Channel accounts API (admin): mailboxes, Twilio numbers, Slack apps, widgets.

The body's `config` is validated by the channel's own model; secrets go in and never come out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from channels import registry
from gateway.deps import Admin, Session
from store.config import accounts
from store.errors import Invalid
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


def _validate(channel: str, values: dict[str, Any]) -> tuple[registry.ChannelSpec, dict, dict]:
    spec = registry.get(channel)
    if spec is None or spec.config_model is None:
        raise Invalid(f"unknown channel {channel!r}; available: {', '.join(registry.names())}")
    try:
        model = spec.config_model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"config.{where}: {first['msg']}") from None
    dumped = {
        k: (v.get_secret_value() if isinstance(v, SecretStr) else v)
        for k, v in model.model_dump(mode="python").items()
    }
    dumped = {
        k: (v if isinstance(v, str | int | float | bool | list | dict | None) else str(v))
        for k, v in dumped.items()
    }
    public, secret = registry.split_secrets(spec, dumped)
    return spec, public, secret


@router.post("", status_code=201, response_model=AccountRead)
async def create_account(data: AccountCreate, session: Session, who: Admin):
    spec, public, secret = _validate(data.channel, data.config)
    row = await accounts.create(
        session,
        channel=data.channel,
        name=data.name,
        address=spec.address_of(public),
        config=public,
        secrets=secret,
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
        spec, public, secret = _validate(row.channel, {**row.config, **row.secrets, **data.config})
        changes |= {"config": public, "secrets": secret, "address": spec.address_of(public)}
    return _read(await accounts.update(session, account_id=account_id, changes=changes))


@router.delete("/{account_id}", status_code=204)
async def delete_account(account_id: int, session: Session, who: Admin):
    await accounts.delete(session, account_id=account_id)
