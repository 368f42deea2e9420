"""Every email of the shared corpus parses without raising, flags match what the manifest says,
and each ingests into the store: a message on a ticket, or kept raw and flagged."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from channels.email.ingest import deliver
from channels.email.parse import parse_email
from channels.email.text import html_to_text, split_reply
from store.tickets import service as tickets

EMAILS = Path(__file__).resolve().parents[3] / "../shared/eval/emails"
pytestmark = pytest.mark.eval_data
OURS = "support@shop.example"


def manifest(kinds: tuple[str, ...]) -> list:
    path = EMAILS / "manifest.jsonl"
    if not path.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{EMAILS} is missing"))]
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [pytest.param(e, id=e["file"]) for e in entries if e["kind"] in kinds]


@pytest.mark.parametrize("entry", manifest(("rfc822",)))
def test_message_parses_and_is_flagged_as_the_manifest_says(entry):
    raw = (EMAILS / entry["file"]).read_bytes()
    tags = set(entry["tags"])

    inbound = parse_email(raw, our_addresses=["support@shop.example"])

    assert inbound.raw == raw and inbound.external_id and inbound.thread_key
    if "malformed" not in inbound.flags:
        assert "@" in inbound.sender.value
    if "dsn_bounce" in tags:
        assert "bounce" in inbound.flags
    if tags & {"auto_reply_rfc3834", "precedence_bulk", "precedence_junk", "precedence_list"}:
        assert "auto_reply" in inbound.flags
    if "auto_submitted" in tags:
        assert inbound.flags & {"auto_reply", "bounce"}
    if "arf_complaint" in tags:
        assert "complaint" in inbound.flags
    if "non_utf8_charset" in tags:
        assert "\ufffd" not in inbound.text  # the declared charsets were honoured
    if "bounce" in inbound.flags and inbound.meta.get("bounced_message_id"):
        assert inbound.meta["bounced_message_id"].startswith("<")


@pytest.mark.parametrize("entry", manifest(("body_only", "html_body_only")))
def test_reply_bodies_trim_without_raising(entry):
    text = (EMAILS / entry["file"]).read_bytes().decode("utf-8", errors="replace")
    if entry["kind"] == "html_body_only":
        text = html_to_text(text)
    trimmed = split_reply(text)
    assert len(trimmed) <= len(text.strip()) + 1
    if text.strip():
        assert trimmed.strip()


def test_trimmer_matches_most_expected_outputs():
    cases_file = EMAILS / "email_reply_trimmer/reply_trimmer_cases.jsonl"
    if not cases_file.exists():
        pytest.skip(f"{cases_file} is missing")
    cases = [json.loads(line) for line in cases_file.read_text().splitlines() if line.strip()]
    expected = [" ".join(c["expected_trimmed"].split()) for c in cases]
    got = [" ".join(split_reply(c["text"]).split()) for c in cases]
    matches = sum(a == b for a, b in zip(got, expected, strict=True))
    # 59 of 64 today; the rest are inline-quote and empty-spam cases we choose to keep whole.
    assert matches >= 56, f"only {matches}/{len(cases)} reply trims match"


async def test_every_email_lands_on_a_ticket_or_is_kept_raw_and_flagged(app):
    """Through the gateway's real path (the poller's sink, the ingest writer, the store)."""
    entries = [e.values[0] for e in manifest(("rfc822",)) if e.values[0] is not None]
    if not entries:
        pytest.skip(f"{EMAILS} is missing")
    parsed = []
    for entry in entries:
        raw = (EMAILS / entry["file"]).read_bytes()
        parsed.append((entry, raw, parse_email(raw, our_addresses=[OURS])))
    outcomes = []
    for start in range(0, len(parsed), 250):  # a poller's batch: group-committed together
        batch = parsed[start : start + 250]
        outcomes += await asyncio.gather(
            *(deliver(app.state.db, app.state.ingest.submit, inbound) for _, _, inbound in batch),
            return_exceptions=True,
        )
    shared_ids = Counter(inbound.external_id for _, _, inbound in parsed)
    problems: dict[str, str] = {}
    async with app.state.db.read() as session:
        for (entry, raw, inbound), outcome in zip(parsed, outcomes, strict=True):
            stored = await tickets.get_message_by_external_id(
                session, channel="email", external_id=inbound.external_id
            )
            problem = _problem(entry, raw, inbound, outcome, stored, shared_ids)
            if problem:
                problems[entry["file"]] = problem
    assert not problems, f"{len(problems)} of {len(entries)} emails: {problems}"


def _problem(entry, raw, inbound, outcome, stored, shared_ids) -> str | None:
    tags = set(entry["tags"])
    if isinstance(outcome, BaseException):
        return f"ingest raised {outcome!r}"
    if stored is None or stored.ticket_id is None:
        return "not on a ticket"
    if shared_ids[inbound.external_id] > 1:
        return None  # files reusing one Message-ID are one message by design (dedup)
    if stored.meta.get("raw_sha256") != hashlib.sha256(raw).hexdigest():
        return "original bytes not kept"
    if "malformed" in inbound.flags and "malformed" not in stored.flags:
        return "unparseable but not flagged"
    machine = {"dsn_bounce", "auto_reply_rfc3834", "precedence_bulk", "precedence_junk"}
    if tags & machine and "no_bot_answer" not in stored.flags:
        return f"machine mail ({sorted(tags & machine)}) open to a bot answer"
    return None
