"""Channel accounts (mailboxes, Twilio numbers, Slack apps, widgets); secrets never shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.config.models import ChannelAccount
from store.errors import Conflict
from store.outbox.service import emit
from store.rows import assign, get_or_raise


async def get(session: AsyncSession, *, account_id: int) -> ChannelAccount:
    return await get_or_raise(session, ChannelAccount, account_id, "channel account")


async def get_by_address(
    session: AsyncSession, *, channel: str, address: str
) -> ChannelAccount | None:
    return await session.scalar(
        select(ChannelAccount).where(
            ChannelAccount.channel == channel, ChannelAccount.address == address
        )
    )


async def list_accounts(
    session: AsyncSession, *, channel: str | None = None, active_only: bool = False
) -> list[ChannelAccount]:
    query = select(ChannelAccount).order_by(ChannelAccount.id)
    if channel:
        query = query.where(ChannelAccount.channel == channel)
    if active_only:
        query = query.where(ChannelAccount.active.is_(True))
    return list(await session.scalars(query))


async def create(
    session: AsyncSession,
    *,
    channel: str,
    name: str,
    address: str,
    config: dict[str, Any],
    secrets: dict[str, Any],
) -> ChannelAccount:
    row = ChannelAccount(
        channel=channel, name=name, address=address, config=config, secrets=secrets, state={}
    )
    session.add(row)
    await session.flush()
    return row


async def create_account(
    session: AsyncSession,
    *,
    channel: str,
    name: str,
    address: str,
    config: dict[str, Any],
    secrets: dict[str, Any],
    actor: Actor,
) -> ChannelAccount:
    """Add an account whose config the channel's model already checked (the gateway does:
    the store cannot import channels); one account per address and channel, audited."""
    if await get_by_address(session, channel=channel, address=address):
        raise Conflict(f"{channel} account {address} is already configured")
    row = await create(
        session, channel=channel, name=name, address=address, config=config, secrets=secrets
    )
    # Names and address only: the event reaches webhooks, and secrets never leave the store.
    after = {"id": row.id, "channel": channel, "name": name, "address": address}
    emit(session, "channel.account.created", actor=actor, after=after)
    return row


async def update(
    session: AsyncSession, *, account_id: int, changes: dict[str, Any]
) -> ChannelAccount:
    row = await get(session, account_id=account_id)
    for key in ("config", "secrets", "state"):
        if key in changes:  # merge, so a partial update keeps the secrets it does not name
            setattr(row, key, {**getattr(row, key), **changes.pop(key)})
    assign(row, changes)
    await session.flush()
    return row


async def delete(session: AsyncSession, *, account_id: int) -> None:
    await session.delete(await get(session, account_id=account_id))
    await session.flush()
