"""Pydantic shapes for tickets, messages and notes as they cross the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from store.schemas import Strict
from store.sla.schemas import SlaRead
from store.sla.view import sla_of

Priority = Literal["low", "normal", "high", "urgent"]


class TicketUpdate(Strict):
    subject: str | None = Field(default=None, max_length=500)
    status: str | None = Field(default=None, max_length=60)
    priority: Priority | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    add_tags: list[str] | None = Field(default=None, max_length=50)
    remove_tags: list[str] | None = Field(default=None, max_length=50)
    custom_fields: dict[str, Any] | None = None
    owner: Literal["bot", "human"] | None = None


class CustomerRef(Strict):
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=200)


class TicketCreate(Strict):
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=100_000)
    customer: CustomerRef
    priority: Priority = "normal"
    tags: list[str] = Field(default_factory=list, max_length=50)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    team_id: int | None = None
    assignee_id: int | None = None


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: int | None
    subject: str
    status: str
    status_category: str
    priority: str
    channel: str
    thread_key: str | None
    contact_id: int | None
    assignee_id: int | None
    team_id: int | None
    owner: str
    tags: list[str]
    custom_fields: dict[str, Any]
    language: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    sla: SlaRead | None = None  # the SLA clocks (store/sla), null when no policy applies

    @model_validator(mode="wrap")
    @classmethod
    def _with_sla(cls, data: Any, handler):
        read = handler(data)
        if not isinstance(data, dict):  # from a ticket row: its clocks, loaded with it
            read.sla = sla_of(data)
        return read


class TicketPage(BaseModel):
    items: list[TicketRead]
    next_cursor: str | None


class BulkUpdate(Strict):
    ids: list[int] = Field(min_length=1, max_length=500)
    changes: TicketUpdate


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class MessageCreate(Strict):
    body: str = Field(min_length=1, max_length=100_000)
    html: str | None = Field(default=None, max_length=500_000)


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    direction: str
    author_kind: str
    author_id: int | None
    channel: str
    external_id: str | None
    subject: str | None
    text: str
    html: str | None
    flags: list[str]
    delivery_status: str
    delivery_error: str | None
    created_at: datetime
    attachments: list[AttachmentRead]


class InboundCreate(Strict):
    """A message from an integration (channel 'api'): idempotent on external_id."""

    external_id: str = Field(min_length=1, max_length=500)
    thread_key: str | None = Field(default=None, max_length=500)
    customer: CustomerRef
    subject: str | None = Field(default=None, max_length=500)
    body: str = Field(min_length=1, max_length=100_000)


class IngestRead(BaseModel):
    ticket_id: int
    message_id: int
    duplicate: bool
    created_ticket: bool


class NoteCreate(Strict):
    body: str = Field(min_length=1, max_length=100_000)


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    author_id: int | None
    author_kind: str
    body: str
    created_at: datetime
