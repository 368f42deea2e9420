"""The scrubber on hand-written agent replies: it finds customer specifics (measured in full by
bench/scrub.py), and a learned answer reaches another customer without them or placeholders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.knowledge.scrub import detect, generalise_question, personalise, scrub

FIXTURES = Path(__file__).parent / "fixtures"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@pytest.mark.parametrize("name", ["scrub_replies.jsonl", "scrub_replies_heldout.jsonl"])
def test_specifics_in_hand_written_replies_are_found(name):
    found_n = right = gold_n = caught = 0
    for row in _rows(name):
        text = row["text"]
        gold = [(text.find(s["text"]), text.find(s["text"]) + len(s["text"])) for s in row["spans"]]
        found = [(s, e) for s, e, _ in detect(text)]
        found_n, gold_n = found_n + len(found), gold_n + len(gold)
        right += sum(any(_overlaps(f, g) for g in gold) for f in found)
        caught += sum(any(_overlaps(f, g) for f in found) for g in gold)
    # Loose floors; the numbers themselves: python -m bench.scrub
    assert right / found_n >= 0.9
    assert caught / gold_n >= 0.9


def test_a_reply_becomes_a_draft_with_placeholders_and_the_originals_beside_it():
    reply = (
        "Hi Maria,\n\nYour parcel 1Z999AA10123456784 left today; we emailed maria@example.com. "
        "You can follow it with the link in your shipping email.\n\nBest,\nAnna"
    )
    draft = scrub(reply, names=["Maria Lopez"])
    assert "1Z999AA10123456784" not in draft.text and "maria@example.com" not in draft.text
    assert "{tracking_number}" in draft.text and "{email}" in draft.text
    kinds = {(r.kind, r.original) for r in draft.spans}
    assert {("tracking_number", "1Z999AA10123456784"), ("email", "maria@example.com")} <= kinds
    for r in draft.spans:
        assert draft.text[r.start : r.end] == r.placeholder


def test_the_next_customer_gets_no_placeholder_and_no_specifics():
    draft = scrub(
        "Hi Maria,\n\nYour parcel 1Z999AA10123456784 left today.\n"
        "Parcels arrive within 3 working days of dispatch.\n\nBest,\nAnna"
    ).text
    sent = personalise(draft)
    assert sent == "Hi,\n\nParcels arrive within 3 working days of dispatch."
    assert personalise(draft, {"name": "Bob"}).startswith("Hi Bob,")
    # Whatever a reviewer let through is dropped with its sentence, never sent.
    assert personalise("Call us any time. Your order 55123 ships today.") == "Call us any time."


def test_a_question_is_generalised():
    asked = "Hello,\nwhere is order 55123? Reply to carol@example.com\n\nThanks,\nCarol\n> old"
    got = generalise_question(asked, names=["Carol"])
    assert got.text == "where is order {order_number}? Reply to {email}"
