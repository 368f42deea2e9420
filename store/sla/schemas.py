"""Pydantic shapes for business hours, channel out-of-hours settings and SLA policies; the
checks here are what turn a bad schedule or policy into a 422 that says what to fix."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from store.schemas import Strict
from store.sla.hours import DAY

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# As store/tickets/models.PRIORITIES (the tickets package reads the SLA, so not imported).
Priority = Literal["low", "normal", "high", "urgent"]
METRICS = ("first_response", "next_response", "resolution")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


class OpenInterval(Strict):
    """Open from `start` to `end` (local "HH:MM"; end may be "24:00"). `overnight`: the
    interval ends on the next day (22:00-06:00), so there `end` comes before `start`."""

    start: str = Field(pattern=HHMM.pattern, examples=["09:00"])
    end: str = Field(pattern=HHMM.pattern, examples=["17:30"])
    overnight: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> OpenInterval:
        lo, hi = minutes(self.start), minutes(self.end)
        if self.overnight and not hi < lo:
            raise ValueError(
                f"{self.start}-{self.end}: an overnight interval ends before it starts"
            )
        if not self.overnight and hi <= lo:
            raise ValueError(
                f"{self.start}-{self.end}: end is not after start "
                "(for an interval past midnight set overnight: true)"
            )
        return self

    def span(self) -> tuple[int, int]:
        """Minutes after its day's midnight; an overnight end lies past DAY."""
        lo, hi = minutes(self.start), minutes(self.end)
        return lo, hi + DAY if self.overnight else hi


class ClosedDate(Strict):
    date: date
    name: str = Field(default="", max_length=200)


def _check_overlaps(week: dict[str, list[OpenInterval]]) -> None:
    """No two intervals share a minute, overnight ones and Sunday's into Monday included."""
    spans = []
    for index, day in enumerate(DAYS):
        for interval in week.get(day, []):
            lo, hi = interval.span()
            base = index * DAY
            spans.append((base + lo, base + hi, f"{day} {interval.start}-{interval.end}"))
    week_len = 7 * DAY
    spans += [(lo - week_len, hi - week_len, label) for lo, hi, label in spans if hi > week_len]
    spans.sort()
    for (_, end, label), (start, _, other) in zip(spans, spans[1:], strict=False):
        if start < end and label != other:
            raise ValueError(f"intervals overlap: {label} and {other}")


class BusinessHoursWrite(Strict):
    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/Berlin"])
    week: dict[Day, list[OpenInterval]] = Field(
        description="Opening intervals per weekday; a day left out is closed",
        examples=[{"mon": [{"start": "09:00", "end": "17:00"}]}],
    )
    holiday_country: str | None = Field(default=None, max_length=10, examples=["DE"])
    holiday_subdivision: str | None = Field(default=None, max_length=10, examples=["BY"])
    closed_dates: list[ClosedDate] = Field(default_factory=list, max_length=1000)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as 'Europe/Berlin')"
            ) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BusinessHoursWrite:
        if not any(self.week.values()):
            raise ValueError("the week needs at least one opening interval")
        _check_overlaps(self.week)
        if self.holiday_subdivision and not self.holiday_country:
            raise ValueError("holiday_subdivision needs holiday_country")
        if self.holiday_country:
            try:
                holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision)
            except NotImplementedError as exc:
                raise ValueError(f"holidays: {exc} (ISO 3166 codes such as 'DE', 'US')") from None
        return self


class BusinessHoursRead(BusinessHoursWrite):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    team_id: int
    is_default: bool = False  # no hours of its own: open around the clock
    updated_at: datetime | None = None


class HoursStatus(BaseModel):
    """Open now or not, and when it next opens (null while open, or never within 2 years)."""

    team_id: int | None
    timezone: str
    open_now: bool
    next_open: datetime | None
    closes_at: datetime | None


class ChannelHoursWrite(Strict):
    team_id: int | None = Field(
        default=None, description="Whose hours apply on this channel (else the default team's)"
    )
    auto_reply: bool = False
    messages: dict[str, str] = Field(
        default_factory=dict,
        description="Out-of-hours reply per language code; '{next_open}' becomes the time",
        examples=[{"en": "We're closed. We'll answer from {next_open}."}],
    )

    @field_validator("messages")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        for lang, text in value.items():
            if not re.fullmatch(r"[a-z]{2}(-[A-Za-z]{2})?", lang) or not 0 < len(text) <= 2000:
                raise ValueError(f"messages[{lang!r}]: a language code and 1-2000 characters")
        return value


class ChannelHoursRead(ChannelHoursWrite):
    model_config = ConfigDict(from_attributes=True)
    channel: str


class Targets(Strict):
    first_response_minutes: int | None = Field(default=None, ge=1, le=525_600)
    next_response_minutes: int | None = Field(default=None, ge=1, le=525_600)
    resolution_minutes: int | None = Field(default=None, ge=1, le=525_600)

    @model_validator(mode="after")
    def _some(self) -> Targets:
        if not self.model_dump(exclude_none=True):
            raise ValueError("set at least one of first_response/next_response/resolution_minutes")
        return self


class SlaPolicyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    channel: str | None = Field(default=None, pattern=r"^[a-z_]{1,30}$")
    team_id: int | None = None
    warn_percent: int = Field(default=80, ge=1, le=99)
    targets: dict[Priority, Targets] = Field(min_length=1)


class SlaPolicyUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    channel: str | None = Field(default=None, pattern=r"^[a-z_]{1,30}$")
    team_id: int | None = None
    warn_percent: int | None = Field(default=None, ge=1, le=99)
    targets: dict[Priority, Targets] | None = Field(default=None, min_length=1)


class SlaPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    channel: str | None
    team_id: int | None
    warn_percent: int
    targets: dict[str, Targets]
    created_at: datetime
    updated_at: datetime


class SlaTargetRead(BaseModel):
    """One target's clock. time_left_seconds: wall-clock seconds to due_at while running
    (negative once overdue); business seconds left while paused or stopped; null when met."""

    state: Literal["running", "paused", "stopped", "met"]
    target_minutes: float
    started_at: datetime
    due_at: datetime | None
    time_left_seconds: int | None
    breached: bool
    paused: bool
    met_at: datetime | None


class SlaRead(BaseModel):
    """A ticket's SLA: the policy that applies and a clock per target it sets."""

    policy_id: int | None
    next_due_at: datetime | None  # the soonest running due time (the queue's "due soonest")
    breached: bool  # any target breached
    first_response: SlaTargetRead | None = None
    next_response: SlaTargetRead | None = None
    resolution: SlaTargetRead | None = None
