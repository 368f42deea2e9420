"""The SLA clock's words and colours in the console (gateway/console/sla_clock.py): time left,
warned, overdue (red), paused, met late; the queue's one clock; who needs a human."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from gateway.console.sla_clock import clocks, headline, needs_human

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def row(metric="first_response", state="running", due=None, warn=None, **extra):
    values = dict(
        metric=metric, state=state, due_at=due, warn_at=warn, breached_at=None,
        met_at=None, remaining_seconds=None,
    )  # fmt: skip
    return SimpleNamespace(**(values | extra))


def ticket(*rows, **fields):
    values = dict(sla_clocks=list(rows), owner="human", assignee_id=None, status_category="open")
    return SimpleNamespace(**(values | fields))


def test_running_left_warned_and_overdue():
    [ok] = clocks(ticket(row(due=NOW + timedelta(minutes=95))), NOW)
    assert (ok.tone, ok.text, ok.label) == ("ok", "1 h 35 min left", "First response")
    soon = row(due=NOW + timedelta(minutes=5), warn=NOW - timedelta(minutes=1))
    assert clocks(ticket(soon), NOW)[0].tone == "warn"
    [late] = clocks(ticket(row(due=NOW - timedelta(minutes=12))), NOW)
    assert (late.tone, late.text) == ("breached", "12 min overdue")


def test_paused_stopped_and_met():
    paused = row(state="paused", remaining_seconds=2400)
    met_late = row("resolution", state="met", due=NOW, met_at=NOW + timedelta(minutes=1))
    first, last = clocks(ticket(met_late, paused), NOW)  # in the policy's order
    assert (first.tone, first.text) == ("paused", "paused, 40 min left")
    assert (last.tone, last.text) == ("breached", "met late")


def test_the_queue_shows_the_running_clock_due_soonest_else_the_worst():
    later = row("resolution", due=NOW + timedelta(hours=5))
    sooner = row("first_response", due=NOW + timedelta(minutes=20))
    assert headline(ticket(later, sooner), NOW).metric == "first_response"
    met = row(state="met", met_at=NOW)
    breached = row("resolution", state="stopped", remaining_seconds=0)
    assert headline(ticket(met, breached), NOW).tone == "breached"
    assert headline(ticket(), NOW) is None


def test_needs_a_human():
    assert needs_human(ticket(), None)  # handed over, nobody on it
    assert not needs_human(ticket(assignee_id=3), None)
    assert not needs_human(ticket(owner="bot"), None)
    assert needs_human(ticket(owner="bot"), object())  # waiting in a queue
