"""Agent data services: the bot-settings row, escalation/routing rules and HTTP tools (CRUD)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.agent.models import AgentTool, BotSettings, EscalationRule, RoutingRule
from store.agent.schemas import BotSettingsRead, BotSettingsUpdate
from store.agent.thresholds import BotThresholds
from store.db import utcnow
from store.errors import Conflict, Invalid
from store.rows import assign, get_or_raise
from store.staff.models import Team

SETTINGS_ID = 1


def _defaults() -> BotSettings:
    return BotSettings(
        id=SETTINGS_ID,
        enabled=False,
        mode="retrieval",
        llm_timeout=20.0,
        llm_retries=1,
        thresholds={},
        review_mode="rules",
        max_bot_turns=6,
        handoff_message="",
        tool_hosts=[],
    )


async def get_settings(session: AsyncSession) -> BotSettings:
    """The settings row, or unsaved defaults when an admin never saved any."""
    return await session.get(BotSettings, SETTINGS_ID) or _defaults()


_ENABLED = select(BotSettings.enabled).where(BotSettings.id == SETTINGS_ID)


async def bot_enabled(session: AsyncSession) -> bool:
    """Does the bot answer customers at all? (Voice calls hold for it only when it does.)
    One column, no ORM row: the dispatcher asks on every pass that has new messages."""
    return bool(await session.scalar(_ENABLED))  # never saved: the default, off


def thresholds_of(row: BotSettings) -> BotThresholds:
    return BotThresholds.model_validate(row.thresholds or {})


def read_settings(row: BotSettings) -> BotSettingsRead:
    values = {k: getattr(row, k) for k in BotSettingsRead.model_fields if hasattr(row, k)}
    values.update(thresholds=thresholds_of(row), llm_api_key_set=bool(row.llm_api_key))
    return BotSettingsRead.model_validate(values)


NULLABLE_SETTINGS = {"llm_base_url", "llm_model", "llm_api_key", "thresholds"}


def _settable(data, nullable: set[str]) -> dict[str, Any]:
    """The fields sent; null only where the column may be empty (elsewhere it means 'unset')."""
    return {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in nullable
    }


async def update_settings(session: AsyncSession, *, changes: BotSettingsUpdate) -> BotSettings:
    row = await session.get(BotSettings, SETTINGS_ID)
    if row is None:
        row = _defaults()
        session.add(row)
    values = _settable(changes, NULLABLE_SETTINGS)
    if "thresholds" in values:
        values["thresholds"] = changes.thresholds.model_dump() if changes.thresholds else {}
    if values.get("llm_api_key") == "":
        values["llm_api_key"] = None  # an empty key clears it
    assign(row, values)
    row.updated_at = utcnow()
    await session.flush()
    return row


# --- escalation and routing rules -------------------------------------------------------------


async def list_escalation_rules(session: AsyncSession, *, enabled_only=False) -> list:
    query = select(EscalationRule).order_by(EscalationRule.position, EscalationRule.id)
    if enabled_only:
        query = query.where(EscalationRule.enabled.is_(True))
    return list(await session.scalars(query))


async def list_routing_rules(session: AsyncSession, *, enabled_only=False) -> list:
    query = select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    if enabled_only:
        query = query.where(RoutingRule.enabled.is_(True))
    return list(await session.scalars(query))


def _dumped(data) -> dict[str, Any]:
    values = _settable(data, set())
    if getattr(data, "conditions", None) is not None:
        values["conditions"] = data.conditions.model_dump(exclude_defaults=True)
    return values


async def _check_team(session: AsyncSession, team_id: int | None) -> None:
    if team_id is not None and await session.get(Team, team_id) is None:
        raise Invalid(f"team {team_id} does not exist")


async def create_rule(session: AsyncSession, *, model: type, data) -> Any:
    """An escalation rule or a routing rule (`model` says which)."""
    values = _dumped(data)
    await _check_team(session, values.get("team_id"))
    row = model(**values)
    session.add(row)
    await session.flush()
    return row


async def update_rule(session: AsyncSession, *, model: type, rule_id: int, data) -> Any:
    row = await get_or_raise(session, model, rule_id, "rule")
    values = _dumped(data)
    await _check_team(session, values.get("team_id"))
    assign(row, values)
    await session.flush()
    return row


async def delete_row(session: AsyncSession, *, model: type, row_id: int) -> None:
    await session.delete(await get_or_raise(session, model, row_id, model.__tablename__[:-1]))
    await session.flush()


# --- tools ------------------------------------------------------------------------------------


async def list_tools(session: AsyncSession, *, enabled_only=False) -> list[AgentTool]:
    query = select(AgentTool).order_by(AgentTool.name)
    if enabled_only:
        query = query.where(AgentTool.enabled.is_(True))
    return list(await session.scalars(query))


def host_allowed(url: str, hosts: list[str]) -> bool:
    """Exact host (optionally host:port) on the admin's allow-list."""
    parts = urlsplit(url)
    return bool(parts.hostname) and (parts.hostname in hosts or parts.netloc in hosts)


async def _check_tool_url(session: AsyncSession, url: str | None) -> None:
    if url is None:
        return
    hosts = (await get_settings(session)).tool_hosts
    if not host_allowed(url.replace("{", "").replace("}", ""), hosts):
        raise Invalid(f"{urlsplit(url).netloc!r} is not on the tool allow-list (bot settings)")


async def create_tool(session: AsyncSession, *, data) -> AgentTool:
    await _check_tool_url(session, data.url_template)
    if await session.scalar(select(AgentTool).where(AgentTool.name == data.name)):
        raise Conflict(f"a tool named {data.name!r} exists")
    tool = AgentTool(**data.model_dump())
    session.add(tool)
    await session.flush()
    return tool


async def update_tool(session: AsyncSession, *, tool_id: int, data) -> AgentTool:
    tool = await get_or_raise(session, AgentTool, tool_id, "tool")
    await _check_tool_url(session, data.url_template)
    assign(tool, _settable(data, {"secret_header", "secret_value"}))
    await session.flush()
    return tool
