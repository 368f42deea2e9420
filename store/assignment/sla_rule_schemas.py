"""What crosses the API for SLA rules: escalation rules acting on a ticket's SLA warning or
breach (same shape as the bot's escalation rules: name, enabled, position, conditions)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from store.agent.schemas import RuleConditions
from store.schemas import Position, Strict

SlaEvent = Literal["ticket.sla_breached", "ticket.sla_warning"]
Metric = Literal["first_response", "next_response", "resolution"]
Priority = Literal["low", "normal", "high", "urgent"]


class Reassign(Strict):
    """Take the ticket from its assignee and route it again: to this team (null: its own),
    where the best available agent takes it, or it waits in the team's queue."""

    team_id: int | None = None


class Notify(Strict):
    """Tell these users (team leads): by email, and/or as a console notification."""

    user_ids: list[int] = Field(min_length=1, max_length=50)
    email: bool = True
    console: bool = True

    @model_validator(mode="after")
    def _some_way(self) -> Notify:
        if not (self.email or self.console):
            raise ValueError("notify needs email or console (or both)")
        return self


class SlaActions(Strict):
    """At least one. `set_priority` raises to at least that level (never lowers);
    `raise_priority` goes one step up (low -> normal -> high -> urgent)."""

    set_priority: Priority | None = None
    raise_priority: bool = False
    reassign: Reassign | None = None
    notify: Notify | None = None

    @model_validator(mode="after")
    def _something(self) -> SlaActions:
        if self.set_priority and self.raise_priority:
            raise ValueError("choose set_priority or raise_priority, not both")
        if not (self.set_priority or self.raise_priority or self.reassign or self.notify):
            raise ValueError(
                "an SLA rule needs an action: set_priority, raise_priority, reassign or notify"
            )
        return self


class SlaRuleCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    position: Position = 0
    event: SlaEvent = "ticket.sla_breached"
    metrics: list[Metric] = Field(default_factory=list, max_length=3)  # empty: any target
    conditions: RuleConditions = Field(default_factory=RuleConditions)
    actions: SlaActions


class SlaRuleUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    enabled: bool | None = None
    position: Position | None = None
    event: SlaEvent | None = None
    metrics: list[Metric] | None = Field(None, max_length=3)
    conditions: RuleConditions | None = None
    actions: SlaActions | None = None


class SlaRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    enabled: bool
    position: int
    event: str
    metrics: list[str]
    conditions: dict
    actions: dict
    created_at: datetime
