"""Admin configuration: workflow statuses, custom field definitions and validation, macros."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.config.models import STATUS_CATEGORIES, FieldDefinition, Macro, WorkflowStatus
from store.errors import Conflict, Invalid, NotFound
from store.rows import assign, get_or_raise


async def list_statuses(session: AsyncSession) -> list[WorkflowStatus]:
    """The workflow (the first migration seeds the five categories as statuses)."""
    return list(await session.scalars(select(WorkflowStatus).order_by(WorkflowStatus.position)))


async def status_category(session: AsyncSession, *, status: str) -> str:
    rows = await list_statuses(session)
    for row in rows:
        if row.name == status:
            return row.category
    names = ", ".join(row.name for row in rows)
    raise Invalid(f"unknown status {status!r}; the workflow has: {names}")


async def create_status(session: AsyncSession, *, name: str, category: str) -> WorkflowStatus:
    if category not in STATUS_CATEGORIES:
        raise Invalid(f"category must be one of {', '.join(STATUS_CATEGORIES)}")
    if await session.scalar(select(WorkflowStatus).where(WorkflowStatus.name == name)):
        raise Conflict(f"status {name!r} exists")
    position = (await session.scalar(select(func.max(WorkflowStatus.position)))) or 0
    row = WorkflowStatus(name=name, category=category, position=position + 1)
    session.add(row)
    await session.flush()
    return row


async def delete_status(session: AsyncSession, *, name: str) -> None:
    row = await session.scalar(select(WorkflowStatus).where(WorkflowStatus.name == name))
    if row is None:
        raise NotFound(f"status {name!r} does not exist")
    if row.name in STATUS_CATEGORIES:
        raise Conflict(f"{name!r} is a built-in status and cannot be removed")
    await session.delete(row)
    await session.flush()


# --- custom fields -------------------------------------------------------------------------

FIELD_TYPES = ("text", "number", "boolean", "date", "select")


async def list_fields(session: AsyncSession) -> list[FieldDefinition]:
    return list(await session.scalars(select(FieldDefinition).order_by(FieldDefinition.id)))


async def create_field(session: AsyncSession, **values: Any) -> FieldDefinition:
    if await session.scalar(select(FieldDefinition).where(FieldDefinition.key == values["key"])):
        raise Conflict(f"field {values['key']!r} exists")
    if values["type"] == "select" and not values.get("options"):
        raise Invalid("a select field needs options")
    row = FieldDefinition(**values)
    session.add(row)
    await session.flush()
    return row


async def delete_field(session: AsyncSession, *, field_id: int) -> None:
    row = await get_or_raise(session, FieldDefinition, field_id, "field")
    await session.delete(row)
    await session.flush()


def _coerce(defn: FieldDefinition, value: Any) -> Any:
    ok = {
        "text": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "select": lambda v: v in defn.options,
    }
    if defn.type == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise Invalid(f"field {defn.key!r} needs a date like 2026-01-31") from None
    if not ok[defn.type](value):
        expected = f"one of {defn.options}" if defn.type == "select" else f"a {defn.type}"
        raise Invalid(f"field {defn.key!r} needs {expected}, got {value!r}")
    return value


async def validate_fields(
    session: AsyncSession, *, values: dict[str, Any], current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Merge `values` into `current`, checking each against its admin-defined definition."""
    defs = {d.key: d for d in await list_fields(session)}
    merged = dict(current or {})
    for key, value in values.items():
        if key not in defs:
            raise Invalid(f"unknown custom field {key!r}; defined: {', '.join(defs) or 'none'}")
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _coerce(defs[key], value)
    return merged


# --- macros -------------------------------------------------------------------------------


async def list_macros(session: AsyncSession) -> list[Macro]:
    return list(await session.scalars(select(Macro).order_by(Macro.name)))


async def get_macro(session: AsyncSession, *, macro_id: int) -> Macro:
    return await get_or_raise(session, Macro, macro_id, "macro")


async def create_macro(session: AsyncSession, **values: Any) -> Macro:
    if await session.scalar(select(Macro).where(Macro.name == values["name"])):
        raise Conflict(f"macro {values['name']!r} exists")
    row = Macro(**values)
    session.add(row)
    await session.flush()
    return row


async def update_macro(session: AsyncSession, *, macro_id: int, changes: dict[str, Any]) -> Macro:
    row = await get_macro(session, macro_id=macro_id)
    assign(row, changes)
    await session.flush()
    return row


async def delete_macro(session: AsyncSession, *, macro_id: int) -> None:
    await session.delete(await get_macro(session, macro_id=macro_id))
    await session.flush()
