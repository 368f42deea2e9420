"""What crosses the API for the agent's data: settings, rule conditions, rules, tools."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from store.agent.thresholds import BotThresholds
from store.schemas import Position, Strict, Weekday

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class TimeWindow(Strict):
    """Days (0 = Monday) and a daily span in a time zone; `end` before `start` spans midnight."""

    timezone: str = "UTC"
    days: list[Weekday] = Field(default_factory=lambda: list(range(7)), max_length=7)
    start: str = Field("00:00", pattern=HHMM)
    end: str = Field("23:59", pattern=HHMM)


# A quantified group that itself holds a quantifier, such as (a+)+ or (\w*)*: the shape that
# backtracks exponentially. Python's re has no timeout, so such patterns are refused on save.
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)(?:[+*]|\{\d*,)")
Scalar = str | int | float | bool


class RuleConditions(Strict):
    """The conditions of an escalation or a routing rule (one model, one matcher:
    agent_graph.rules.conditions_match). All given conditions must hold; an empty object
    matches everything. Lists mean "any of", compared case-insensitively."""

    asks_human: bool | None = None
    vip: bool | None = None
    sentiment_below: float | None = Field(None, ge=-1, le=1)
    keywords: list[str] = Field(default_factory=list, max_length=100)  # text contains any
    matches: str | None = Field(None, min_length=1, max_length=200)  # regex, searched
    intents: list[str] = Field(default_factory=list, max_length=100)
    channels: list[str] = Field(default_factory=list, max_length=20)
    languages: list[str] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=100)  # ticket has any
    priorities: list[Literal["low", "normal", "high", "urgent"]] = Field(default_factory=list)
    contact_attributes: dict[str, Scalar] = Field(default_factory=dict, max_length=20)
    min_bot_turns: int | None = Field(None, ge=1)
    confidence_below: float | None = Field(None, ge=0, le=1)
    window: TimeWindow | None = None

    @field_validator("matches")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"not a valid regular expression: {e}") from None
        if NESTED_QUANTIFIER.search(v):
            raise ValueError(
                "nested quantifiers such as (a+)+ can take exponential time; "
                "quantify the group or its contents, not both"
            )
        return v

    @field_validator("contact_attributes")
    @classmethod
    def _keys(cls, v: dict[str, Scalar]) -> dict[str, Scalar]:
        if any(not k.strip() or len(k) > 100 for k in v):
            raise ValueError("attribute names must be 1 to 100 characters")
        return v


class EscalationRuleCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    position: Position = 0
    conditions: RuleConditions = Field(default_factory=RuleConditions)
    action: Literal["escalate", "review"] = "escalate"


class EscalationRuleUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    enabled: bool | None = None
    position: Position | None = None
    conditions: RuleConditions | None = None
    action: Literal["escalate", "review"] | None = None


class EscalationRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    enabled: bool
    position: int
    conditions: dict
    action: str
    created_at: datetime


class RoutingRuleCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    position: Position = 0
    conditions: RuleConditions = Field(default_factory=RuleConditions)
    team_id: int


class RoutingRuleUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    enabled: bool | None = None
    position: Position | None = None
    conditions: RuleConditions | None = None
    team_id: int | None = None


class RoutingRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    enabled: bool
    position: int
    conditions: dict
    team_id: int
    created_at: datetime


class BotSettingsUpdate(Strict):
    enabled: bool | None = None
    mode: Literal["retrieval", "llm"] | None = None
    llm_base_url: str | None = Field(None, max_length=500)
    llm_model: str | None = Field(None, max_length=200)
    llm_api_key: str | None = Field(None, max_length=500)
    llm_timeout: float | None = Field(None, gt=0, le=300)
    llm_retries: int | None = Field(None, ge=0, le=5)
    thresholds: BotThresholds | None = None
    review_mode: Literal["off", "rules", "all"] | None = None
    max_bot_turns: int | None = Field(None, ge=1, le=100)
    handoff_message: str | None = Field(None, max_length=2000)
    tool_hosts: list[str] | None = Field(None, max_length=100)


class BotSettingsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    enabled: bool
    mode: str
    llm_base_url: str | None
    llm_model: str | None
    llm_api_key_set: bool  # the key itself is never returned
    llm_timeout: float
    llm_retries: int
    thresholds: BotThresholds
    review_mode: str
    max_bot_turns: int
    handoff_message: str
    tool_hosts: list[str]


TOOL_NAME = r"^[a-zA-Z][a-zA-Z0-9_-]{0,63}$"


class ToolCreate(Strict):
    name: str = Field(pattern=TOOL_NAME)
    description: str = Field("", max_length=2000)
    parameters: dict = Field(default_factory=lambda: {"type": "object", "properties": {}})
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url_template: str = Field(max_length=1000)
    secret_header: str | None = Field(None, max_length=100)
    secret_value: str | None = Field(None, max_length=1000)
    timeout: float = Field(5.0, gt=0, le=60)
    enabled: bool = True

    @field_validator("url_template")
    @classmethod
    def _http(cls, v: str) -> str:
        if not re.match(r"^https?://[^/{}]+", v):
            raise ValueError("url_template must start with http(s)://host (no placeholder in host)")
        return v


class ToolUpdate(Strict):
    description: str | None = Field(None, max_length=2000)
    parameters: dict | None = None
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    url_template: str | None = Field(None, max_length=1000)
    secret_header: str | None = Field(None, max_length=100)
    secret_value: str | None = Field(None, max_length=1000)
    timeout: float | None = Field(None, gt=0, le=60)
    enabled: bool | None = None

    _http = field_validator("url_template")(lambda cls, v: ToolCreate._http(v) if v else v)


class ToolRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str
    parameters: dict
    method: str
    url_template: str
    secret_header: str | None
    timeout: float
    enabled: bool
    created_at: datetime


class ReviewDecision(Strict):
    approve: bool
    text: str | None = Field(None, max_length=10_000)  # an edited draft to send instead
