"""Escalation and routing rule conditions matched against a turn's facts (pure functions)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo


def in_window(window: dict, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(window.get("timezone", "UTC")))
    if local.weekday() not in window.get("days", range(7)):
        return False
    start = time.fromisoformat(window.get("start", "00:00"))
    end = time.fromisoformat(window.get("end", "23:59"))
    t = local.time().replace(second=0, microsecond=0)
    return start <= t <= end if start <= end else (t >= start or t <= end)


def _any_in(wanted: list[str], value: str | None) -> bool:
    return not wanted or (value or "").lower() in {w.lower() for w in wanted}


def escalation_matches(cond: dict, facts: dict, now: datetime) -> bool:
    """All conditions given must hold. `facts`: text, vip, sentiment, asks_human, intent,
    channel, language, bot_turns, confidence."""
    text = facts["text"].lower()
    checks = [
        cond.get("asks_human") is None or cond["asks_human"] == facts["asks_human"],
        cond.get("vip") is None or cond["vip"] == facts["vip"],
        cond.get("sentiment_below") is None or facts["sentiment"] < cond["sentiment_below"],
        not cond.get("keywords") or any(k.lower() in text for k in cond["keywords"]),
        _any_in(cond.get("intents", []), facts["intent"]),
        _any_in(cond.get("channels", []), facts["channel"]),
        _any_in(cond.get("languages", []), facts["language"]),
        cond.get("min_bot_turns") is None or facts["bot_turns"] >= cond["min_bot_turns"],
        cond.get("confidence_below") is None or facts["confidence"] < cond["confidence_below"],
        not cond.get("window") or in_window(cond["window"], now),
    ]
    return all(checks)


def routing_matches(cond: dict, facts: dict) -> bool:
    """facts: channel, intent, language, tags, priority, vip."""
    tags = {t.lower() for t in facts.get("tags", [])}
    return all(
        [
            _any_in(cond.get("channels", []), facts["channel"]),
            _any_in(cond.get("intents", []), facts.get("intent")),
            _any_in(cond.get("languages", []), facts.get("language")),
            not cond.get("tags") or bool(tags & {t.lower() for t in cond["tags"]}),
            _any_in(cond.get("priorities", []), facts.get("priority")),
            cond.get("vip") is None or cond["vip"] == facts.get("vip"),
        ]
    )
