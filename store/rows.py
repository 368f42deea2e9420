"""Two steps every domain service repeats: fetch a row by id or say it is missing, and apply
a partial update."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from store.errors import NotFound

Row = TypeVar("Row")


async def get_or_raise(session: AsyncSession, model: type[Row], row_id: Any, label: str) -> Row:
    row = await session.get(model, row_id)
    if row is None:
        raise NotFound(f"{label} {row_id} does not exist")
    return row


def assign(row: Any, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(row, key, value)
