"""Saved queue views: each agent's own named filters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.console.models import SavedView
from store.errors import Conflict, Invalid, NotFound


async def list_views(session: AsyncSession, *, user_id: int) -> list[SavedView]:
    query = select(SavedView).where(SavedView.user_id == user_id).order_by(SavedView.name)
    return list(await session.scalars(query))


async def get_view(session: AsyncSession, *, user_id: int, view_id: int) -> SavedView:
    """One of this user's views; another user's view is as missing as a deleted one."""
    view = await session.get(SavedView, view_id)
    if view is None or view.user_id != user_id:
        raise NotFound(f"saved view {view_id} does not exist")
    return view


async def create_view(
    session: AsyncSession, *, user_id: int, name: str, filters: dict[str, Any]
) -> SavedView:
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid("a saved view needs a name of 1 to 100 characters")
    taken = await session.scalar(
        select(SavedView.id).where(SavedView.user_id == user_id, SavedView.name == name)
    )
    if taken is not None:
        raise Conflict(f"you already have a view named {name!r}")
    view = SavedView(user_id=user_id, name=name, filters=filters)
    session.add(view)
    await session.flush()
    return view


async def delete_view(session: AsyncSession, *, user_id: int, view_id: int) -> None:
    await session.delete(await get_view(session, user_id=user_id, view_id=view_id))
    await session.flush()
