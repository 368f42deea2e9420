"""The business-hours calculator, schedule checks and the SLA timeline, with fixed instants:
DST switch days in Berlin and New York, overnight intervals, public and custom holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from store.sla.business_hours import build_schedule
from store.sla.hours import ALWAYS, DAY, Schedule
from store.sla.policies import choose
from store.sla.replies import reply_text
from store.sla.schemas import BusinessHoursWrite
from store.sla.timeline import Fact, compute

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
H = timedelta(hours=1)
NINE_TO_FIVE = {
    d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")
}


def hours(zone: str = "Europe/Berlin", week=None, **extra) -> Schedule:
    data = BusinessHoursWrite(timezone=zone, week=week or NINE_TO_FIVE, **extra)
    return build_schedule(SimpleNamespace(**data.model_dump(mode="json")))


def local(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    "zone, day, length",
    [
        (BERLIN, date(2025, 3, 30), 23),  # spring forward
        (BERLIN, date(2025, 10, 26), 25),  # fall back
        (NEW_YORK, date(2025, 3, 9), 23),
        (NEW_YORK, date(2025, 11, 2), 25),
    ],
)
def test_a_dst_day_open_all_day_has_its_real_length(zone, day, length):
    around_the_clock = Schedule(
        zone, tuple(((0, DAY),) for _ in range(6)) + (((0, 720), (720, DAY)),)
    )
    start = datetime.combine(day, datetime.min.time(), zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    assert around_the_clock.between(start, end) == length * H
    assert around_the_clock.add(start, length * H) == end


def test_new_york_friday_afternoon_plus_two_hours_is_monday_ten_after_the_switch():
    schedule = hours("America/New_York")
    due = schedule.add(local(NEW_YORK, 2025, 3, 7, 16, 0), 2 * H)  # DST starts Sunday Mar 9
    assert due == local(NEW_YORK, 2025, 3, 10, 10, 0)
    assert due.astimezone(UTC) == datetime(2025, 3, 10, 14, 0, tzinfo=UTC)  # EDT, not EST
    assert schedule.between(local(NEW_YORK, 2025, 3, 7, 16, 0), due) == 2 * H


def test_berlin_interval_inside_the_spring_gap_opens_for_no_time():
    week = {
        "sun": [{"start": "01:00", "end": "04:00"}],
        "mon": [{"start": "02:00", "end": "03:00"}],
    }
    schedule = hours(week=week)
    sunday = local(BERLIN, 2025, 3, 30, 0, 0)
    assert schedule.between(sunday, sunday + 24 * H) == 2 * H  # 01:00-04:00 lost its 02:xx
    assert schedule.next_open(local(BERLIN, 2025, 3, 30, 1, 30)) == local(
        BERLIN, 2025, 3, 30, 1, 30
    )


def test_overnight_interval_runs_into_the_next_day_and_across_fall_back():
    week = {"sat": [{"start": "22:00", "end": "06:00", "overnight": True}]}
    schedule = hours(week=week)
    saturday = local(BERLIN, 2025, 10, 25, 12, 0)
    assert schedule.next_open(saturday) == local(BERLIN, 2025, 10, 25, 22, 0)
    assert schedule.is_open(local(BERLIN, 2025, 10, 26, 5, 59))
    assert not schedule.is_open(local(BERLIN, 2025, 10, 26, 6, 0))
    assert schedule.between(saturday, saturday + 24 * H) == 9 * H  # the night has 25 hours
    assert schedule.add(local(BERLIN, 2025, 10, 25, 23, 0), 8 * H) == local(
        BERLIN, 2025, 10, 26, 6, 0
    )


def test_overnight_weeknights_carry_business_time_over():
    nights = {d: [{"start": "22:00", "end": "06:00", "overnight": True}] for d in ("mon", "tue")}
    schedule = hours(week=nights)
    assert schedule.add(local(BERLIN, 2025, 1, 6, 23, 0), 8 * H) == local(BERLIN, 2025, 1, 7, 23, 0)


def test_public_and_custom_holidays_are_closed():
    schedule = hours(holiday_country="DE", closed_dates=[{"date": "2025-12-24", "name": "Eve"}])
    tuesday_evening = local(BERLIN, 2025, 12, 23, 17, 0)
    # 24 custom, 25/26 public holidays, 27/28 weekend: Monday 29th.
    assert schedule.next_open(tuesday_evening) == local(BERLIN, 2025, 12, 29, 9, 0)
    assert schedule.add(local(BERLIN, 2025, 12, 23, 16, 0), 2 * H) == local(
        BERLIN, 2025, 12, 29, 10, 0
    )
    assert not schedule.is_open(local(BERLIN, 2025, 12, 25, 10, 0))


def test_regional_holidays_follow_the_subdivision():
    bavaria = hours(holiday_country="DE", holiday_subdivision="BY")
    berlin = hours(holiday_country="DE", holiday_subdivision="BE")
    epiphany = local(BERLIN, 2026, 1, 6, 10, 0)  # a Tuesday; a holiday in Bavaria only
    assert not bavaria.is_open(epiphany)
    assert berlin.is_open(epiphany)


def test_business_time_between_skips_nights_and_weekends():
    schedule = hours()
    friday, monday = local(BERLIN, 2025, 1, 10, 15, 0), local(BERLIN, 2025, 1, 13, 10, 0)
    assert schedule.between(friday, monday) == 3 * H
    assert schedule.between(monday, friday) == timedelta(0)
    assert ALWAYS.between(friday, monday) == monday - friday


@pytest.mark.parametrize(
    "body, says",
    [
        (
            {
                "week": {
                    "mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]
                }
            },
            "overlap",
        ),
        (
            {
                "week": {
                    "mon": [{"start": "22:00", "end": "06:00", "overnight": True}],
                    "tue": [{"start": "05:00", "end": "09:00"}],
                }
            },
            "overlap",
        ),
        (
            {
                "week": {
                    "sun": [{"start": "22:00", "end": "06:00", "overnight": True}],
                    "mon": [{"start": "00:00", "end": "07:00"}],
                }
            },
            "overlap",
        ),
        ({"week": {"mon": [{"start": "17:00", "end": "09:00"}]}}, "end is not after start"),
        ({"week": {"mon": [{"start": "9:00", "end": "17:00"}]}}, "pattern"),
        ({"week": {}}, "at least one"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"holiday_country": "XX"}, "Country XX not available"),
        ({"holiday_country": "DE", "holiday_subdivision": "ZZ"}, "subdivision"),
    ],
)
def test_invalid_schedules_say_what_is_wrong(body, says):
    data = {"timezone": "Europe/Berlin", "week": NINE_TO_FIVE} | body
    with pytest.raises(ValidationError) as refused:
        BusinessHoursWrite(**data)
    assert says in str(refused.value)


def test_adjacent_intervals_are_fine_and_merge():
    week = {
        "mon": [{"start": "09:00", "end": "12:00"}, {"start": "12:00", "end": "24:00"}],
        "tue": [{"start": "00:00", "end": "02:00"}],
    }
    schedule = hours(week=week)
    spans = list(schedule.spans(local(BERLIN, 2025, 1, 6, 0, 0)))
    assert spans[0] == (local(BERLIN, 2025, 1, 6, 9, 0), local(BERLIN, 2025, 1, 7, 2, 0))


def policy(id_, channel=None, team_id=None, priorities=("normal",)):
    targets = {p: {"first_response_minutes": 60} for p in priorities}
    return SimpleNamespace(id=id_, channel=channel, team_id=team_id, targets=targets)


def test_most_specific_policy_with_targets_for_the_priority_wins():
    rules = [
        policy(1),
        policy(2, channel="email"),
        policy(3, team_id=7),
        policy(4, channel="email", team_id=7, priorities=("urgent",)),
    ]
    ticket = SimpleNamespace(id=1, priority="normal", channel="email", team_id=7)
    assert choose(rules, ticket).id == 3  # 4 has no target for "normal"; team beats channel
    assert choose(rules, SimpleNamespace(**{**vars(ticket), "priority": "urgent"})).id == 4
    assert choose(rules, SimpleNamespace(**{**vars(ticket), "team_id": None})).id == 2
    assert choose(rules, SimpleNamespace(**{**vars(ticket), "priority": "low"})) is None


T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)  # a Monday
MIN = timedelta(minutes=1)


def clocks(facts, now, schedule=ALWAYS, **targets):
    targets = {k: v * MIN for k, v in targets.items()}
    return {c.metric: c for c in compute(T0, facts, targets, 80, schedule, now)}


def test_first_response_runs_then_is_met_late_or_on_time():
    running = clocks([], T0 + 10 * MIN, first_response=60)["first_response"]
    assert (running.state, running.due_at, running.warn_at) == (
        "running",
        T0 + 60 * MIN,
        T0 + 48 * MIN,
    )
    met = clocks([Fact(T0 + 30 * MIN, "reply")], T0 + 90 * MIN, first_response=60)
    assert met["first_response"].state == "met" and not met["first_response"].breached
    late = clocks([Fact(T0 + 61 * MIN, "reply")], T0 + 90 * MIN, first_response=60)
    assert late["first_response"].breached


def test_pending_pauses_and_resuming_moves_the_due_time():
    pending = [Fact(T0 + 10 * MIN, "status", "pending")]
    paused = clocks(pending, T0 + 500 * MIN, resolution=60)["resolution"]
    assert (paused.state, paused.remaining, paused.breached) == ("paused", 50 * MIN, False)
    resumed = pending + [Fact(T0 + 100 * MIN, "status", "open")]
    clock = clocks(resumed, T0 + 101 * MIN, resolution=60)["resolution"]
    assert clock.state == "running" and clock.due_at == T0 + 150 * MIN


def test_solved_meets_resolution_and_stops_first_response():
    solved = [Fact(T0 + 20 * MIN, "status", "solved")]
    out = clocks(solved, T0 + 200 * MIN, first_response=60, resolution=120)
    assert out["resolution"].state == "met" and out["resolution"].met_at == T0 + 20 * MIN
    assert out["first_response"].state == "stopped" and not out["first_response"].breached


def test_each_customer_message_after_a_reply_starts_a_next_response_cycle():
    facts = [
        Fact(T0 + 5 * MIN, "reply"),
        Fact(T0 + 20 * MIN, "customer"),
        Fact(T0 + 25 * MIN, "customer"),
        Fact(T0 + 40 * MIN, "reply"),
        Fact(T0 + 50 * MIN, "customer"),
    ]
    first = clocks(facts[:3], T0 + 30 * MIN, next_response=30)["next_response"]
    assert first.started_at == T0 + 20 * MIN and first.due_at == T0 + 50 * MIN  # earliest
    latest = clocks(facts, T0 + 55 * MIN, next_response=30)["next_response"]
    assert latest.state == "running" and latest.started_at == T0 + 50 * MIN
    assert "next_response" not in clocks([Fact(T0, "customer")], T0, next_response=30)


def test_targets_count_business_hours_only():
    schedule = hours("UTC")
    clock = clocks([], T0, schedule, first_response=120)["first_response"]
    assert clock.due_at == datetime(2025, 1, 6, 11, 0, tzinfo=UTC)  # opens at 9, +2h


def test_out_of_hours_text_in_the_contacts_language_with_the_local_time():
    opens = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin
    german = reply_text({}, "de-AT", opens, "Europe/Berlin")
    assert "Montag, 6. Januar um 09:00 Uhr" in german
    english = reply_text({}, None, opens, "Europe/Berlin")
    assert "Monday 6 January at 09:00 (Europe/Berlin time)" in english
    custom = reply_text({"en": "Back {next_open}!"}, "it", opens, "Europe/Berlin")
    assert custom.startswith("Back Monday 6 January")
