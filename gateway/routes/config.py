"""Admin configuration API: workflow statuses, custom fields, macros."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from gateway.deps import Admin, Session, TicketsRead, TicketsWrite
from store.config import service as config
from store.schemas import Strict
from store.tickets import macros
from store.tickets.schemas import MessageRead, TicketRead, TicketUpdate

router = APIRouter(prefix="/api/v1", tags=["configuration"])


class StatusCreate(Strict):
    name: str = Field(min_length=1, max_length=60)
    category: Literal["new", "open", "pending", "solved", "closed"]


class StatusRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    category: str
    position: int


class FieldCreate(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    label: str = Field(min_length=1, max_length=200)
    type: Literal["text", "number", "boolean", "date", "select"]
    options: list[str] = Field(default_factory=list)
    required: bool = False


class FieldRead(FieldCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int


class MacroCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    body: str = ""
    actions: TicketUpdate = Field(default_factory=TicketUpdate)


class MacroUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = None
    actions: TicketUpdate | None = None


class MacroRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    body: str
    actions: dict[str, Any]


class MacroApplied(BaseModel):
    ticket: TicketRead
    message: MessageRead | None


@router.get("/statuses", response_model=list[StatusRead])
async def list_statuses(session: Session, who: TicketsRead):
    return await config.list_statuses(session)


@router.post("/statuses", status_code=201, response_model=StatusRead)
async def create_status(data: StatusCreate, session: Session, who: Admin):
    return await config.create_status(session, name=data.name, category=data.category)


@router.delete("/statuses/{name}", status_code=204)
async def delete_status(name: str, session: Session, who: Admin):
    await config.delete_status(session, name=name)


@router.get("/fields", response_model=list[FieldRead])
async def list_fields(session: Session, who: TicketsRead):
    return await config.list_fields(session)


@router.post("/fields", status_code=201, response_model=FieldRead)
async def create_field(data: FieldCreate, session: Session, who: Admin):
    return await config.create_field(session, **data.model_dump())


@router.delete("/fields/{field_id}", status_code=204)
async def delete_field(field_id: int, session: Session, who: Admin):
    await config.delete_field(session, field_id=field_id)


@router.get("/macros", response_model=list[MacroRead])
async def list_macros(session: Session, who: TicketsRead):
    return await config.list_macros(session)


@router.post("/macros", status_code=201, response_model=MacroRead)
async def create_macro(data: MacroCreate, session: Session, who: Admin):
    return await config.create_macro(
        session, name=data.name, body=data.body, actions=data.actions.model_dump(exclude_unset=True)
    )


@router.patch("/macros/{macro_id}", response_model=MacroRead)
async def update_macro(macro_id: int, data: MacroUpdate, session: Session, who: Admin):
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if data.actions is not None:
        changes["actions"] = data.actions.model_dump(exclude_unset=True)
    return await config.update_macro(session, macro_id=macro_id, changes=changes)


@router.delete("/macros/{macro_id}", status_code=204)
async def delete_macro(macro_id: int, session: Session, who: Admin):
    await config.delete_macro(session, macro_id=macro_id)


@router.post("/tickets/{ticket_id}/macros/{macro_id}", response_model=MacroApplied)
async def apply_macro(ticket_id: int, macro_id: int, session: Session, who: TicketsWrite):
    """Send the macro's reply (if it has one) and apply its actions, in one transaction."""
    ticket, message = await macros.apply_macro(
        session, ticket_id=ticket_id, macro_id=macro_id, actor=who.actor
    )
    return MacroApplied(
        ticket=TicketRead.model_validate(ticket),
        message=MessageRead.model_validate(message) if message else None,
    )
