"""Pydantic shapes for contacts and their channel identities as they cross the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from store.schemas import Strict

IdentityKind = Literal["email", "phone", "slack", "widget", "user"]


class IdentityIn(Strict):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)


class IdentityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    value: str


class ContactCreate(Strict):
    name: str = Field(default="", max_length=200)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)
    vip: bool = False
    attributes: dict[str, Any] = Field(default_factory=dict)


class ContactUpdate(Strict):
    name: str | None = Field(default=None, max_length=200)
    identities: list[IdentityIn] | None = Field(default=None, max_length=20)
    vip: bool | None = None
    attributes: dict[str, Any] | None = None


class ContactMerge(Strict):
    other_id: int  # this contact's identities and tickets move over, then it is deleted


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email: str | None
    phone: str | None
    vip: bool
    attributes: dict[str, Any]
    identities: list[IdentityRead]
    created_at: datetime


class SharedDetail(BaseModel):
    kind: Literal["email", "phone"]
    value: str


class DuplicateRead(BaseModel):
    """Another contact that shares an email or phone with this one (a merge candidate)."""

    contact: ContactRead
    reasons: list[SharedDetail]


class ErasureRead(BaseModel):
    contact_id: int
    erased_at: datetime
    tickets: int  # kept, with their bodies redacted
    messages: int  # redacted by this call (0 when it ran before)
    attachments: int  # removed by this call
    already_erased: bool
