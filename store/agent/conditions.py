"""Escalation and routing rule conditions matched against a turn's facts (pure functions)."""

from __future__ import annotations

import re
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


def _same(a: object, b: object) -> bool:
    """Attribute values compare as text, case-insensitively (the form sends strings)."""
    return str(a).strip().lower() == str(b).strip().lower()


def _attributes_hold(wanted: dict, have: dict) -> bool:
    return all(k in have and _same(have[k], v) for k, v in wanted.items())


def conditions_match(cond: dict, facts: dict, now: datetime) -> bool:
    """Whether a rule's conditions (store.agent.schemas.RuleConditions as stored) all hold.
    `facts`: text, vip, sentiment, asks_human, intent, channel, language, tags, priority,
    contact_attributes, bot_turns, confidence. Used by escalation and routing rules alike."""
    raw = facts.get("text", "")
    text = raw.lower()
    tags = {t.lower() for t in facts.get("tags", [])}
    checks = [
        cond.get("asks_human") is None or cond["asks_human"] == facts.get("asks_human", False),
        cond.get("vip") is None or cond["vip"] == facts.get("vip", False),
        cond.get("sentiment_below") is None
        or facts.get("sentiment", 0.0) < cond["sentiment_below"],
        not cond.get("keywords") or any(k.lower() in text for k in cond["keywords"]),
        # validated on save (length, compiles, no nested quantifiers); the text is capped
        not cond.get("matches") or bool(re.search(cond["matches"], raw, re.IGNORECASE)),
        _any_in(cond.get("intents", []), facts.get("intent")),
        _any_in(cond.get("channels", []), facts.get("channel")),
        _any_in(cond.get("languages", []), facts.get("language")),
        not cond.get("tags") or bool(tags & {t.lower() for t in cond["tags"]}),
        _any_in(cond.get("priorities", []), facts.get("priority")),
        _attributes_hold(cond.get("contact_attributes") or {}, facts.get("contact_attributes", {})),
        cond.get("min_bot_turns") is None or facts.get("bot_turns", 0) >= cond["min_bot_turns"],
        cond.get("confidence_below") is None
        or facts.get("confidence", 0.0) < cond["confidence_below"],
        not cond.get("window") or in_window(cond["window"], now),
    ]
    return all(checks)
