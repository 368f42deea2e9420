"""Every email of the shared corpus parses without raising; flags match what the manifest says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from channels.email_parse import parse_email
from channels.email_text import html_to_text, split_reply

EMAILS = Path(__file__).resolve().parents[2] / "../shared/eval/emails"
pytestmark = pytest.mark.eval_data


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
