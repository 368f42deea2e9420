"""The assignment and presence settings row (defaults until an admin saves one), and the
numbers derived from it: presence timings, capacities per channel kind."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from store.assignment.models import AssignmentSettings
from store.assignment.schemas import AssignmentSettingsRead, AssignmentSettingsUpdate
from store.db import utcnow
from store.errors import Invalid
from store.rows import assign
from store.staff.kinds import DEFAULT_CAPACITIES
from store.staff.models import Team, User
from store.staff.presence import Timing

SETTINGS_ID = 1


def _defaults() -> AssignmentSettings:
    return AssignmentSettings(
        id=SETTINGS_ID,
        default_team_id=None,
        capacities={},
        idle_away_minutes=10,
        offline_grace_seconds=60,
        heartbeat_ttl_seconds=90,
        reassign_on_offline=False,
        unseen_alert_minutes=10,
    )


async def get_settings(session: AsyncSession) -> AssignmentSettings:
    """The settings row, or unsaved defaults when an admin never saved any."""
    return await session.get(AssignmentSettings, SETTINGS_ID) or _defaults()


def capacities(row: AssignmentSettings) -> dict[str, int]:
    return DEFAULT_CAPACITIES | (row.capacities or {})


def heartbeat_every(row: AssignmentSettings) -> int:
    """Three beats per TTL: one lost beat (a busy tab, a slow network) is no expiry."""
    return max(5, row.heartbeat_ttl_seconds // 3)


def read_settings(row: AssignmentSettings) -> AssignmentSettingsRead:
    return AssignmentSettingsRead(
        default_team_id=row.default_team_id,
        capacities=capacities(row),
        idle_away_minutes=row.idle_away_minutes,
        offline_grace_seconds=row.offline_grace_seconds,
        heartbeat_ttl_seconds=row.heartbeat_ttl_seconds,
        heartbeat_every_seconds=heartbeat_every(row),
        reassign_on_offline=row.reassign_on_offline,
        unseen_alert_minutes=row.unseen_alert_minutes,
    )


async def update_settings(
    session: AsyncSession, *, changes: AssignmentSettingsUpdate
) -> AssignmentSettings:
    values = changes.model_dump(exclude_unset=True)
    # null clears the default team; elsewhere it only means "not sent"
    values = {k: v for k, v in values.items() if v is not None or k == "default_team_id"}
    team_id = values.get("default_team_id")
    if team_id is not None and await session.get(Team, team_id) is None:
        raise Invalid(f"default_team_id: team {team_id} does not exist")
    row = await session.get(AssignmentSettings, SETTINGS_ID)
    if row is None:
        row = _defaults()
        session.add(row)
    if "capacities" in values:
        values["capacities"] = (row.capacities or {}) | values["capacities"]
    assign(row, values)
    row.updated_at = utcnow()
    await session.flush()
    return row


def timing(row: AssignmentSettings) -> Timing:
    idle = row.idle_away_minutes
    return Timing(
        ttl=timedelta(seconds=row.heartbeat_ttl_seconds),
        idle=timedelta(minutes=idle) if idle else None,
        grace=timedelta(seconds=row.offline_grace_seconds),
    )


def capacity_for(row: AssignmentSettings, user: User, team: Team | None, kind: str) -> int:
    """The agent's own number for the kind, else their team's, else the settings'."""
    for own in (user.capacities or {}, (team.capacities or {}) if team else {}):
        if kind in own:
            return own[kind]
    return capacities(row)[kind]
