"""SLA policies and ticket clocks through the HTTP API, on SQLite and PostgreSQL: the most
specific policy wins, business hours count, pending pauses, warnings and breaches are
written once each at their time (time-machine moves the clock; nothing sleeps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NINE_TO_FIVE = {
    "timezone": "Europe/Berlin",
    "week": {d: [{"start": "09:00", "end": "17:00"}] for d in WEEKDAYS},
}
STANDARD = {
    "name": "Standard",
    "warn_percent": 50,
    "targets": {
        "normal": {"first_response_minutes": 10, "resolution_minutes": 60},
        "urgent": {"first_response_minutes": 5},
    },
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def policy(client, headers, body=STANDARD) -> dict:
    r = await client.post("/api/v1/sla-policies", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def team(client, headers, name="Support") -> int:
    r = await client.post("/api/v1/teams", json={"name": name}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def new_ticket(app, client, headers, **extra) -> dict:
    body = {"subject": "Help", "body": "It broke", "customer": {"email": "c@example.com"}}
    r = await client.post("/api/v1/tickets", json=body | extra, headers=headers)
    assert r.status_code == 201, r.text
    return await settled(app, client, headers, r.json()["id"])


async def settled(app, client, headers, ticket_id: int) -> dict:
    await app.state.dispatcher.drain()
    return (await client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)).json()


async def events(client, headers, ticket_id: int, kind: str) -> list[dict]:
    r = await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=headers)
    return [e for e in r.json() if e["type"] == kind]


async def test_policies_crud_and_clear_refusals(client, admin_headers):
    created = await policy(client, admin_headers)
    assert created["targets"]["normal"]["first_response_minutes"] == 10
    again = await client.post("/api/v1/sla-policies", json=STANDARD, headers=admin_headers)
    assert again.status_code == 409 and "already covers" in again.json()["detail"]
    bad = [
        ({"channel": "fax"}, "unknown channel"),
        ({"team_id": 999}, "team 999 does not exist"),
        ({"targets": {}}, "targets"),
        ({"targets": {"normal": {}}}, "at least one"),
        ({"targets": {"normal": {"first_response_minutes": 0}}}, "greater than or equal"),
        ({"targets": {"whenever": {"first_response_minutes": 5}}}, "normal"),
        ({"warn_percent": 100}, "warn_percent"),
    ]
    for change, says in bad:
        r = await client.post("/api/v1/sla-policies", json=STANDARD | change, headers=admin_headers)
        assert r.status_code == 422 and says in r.text, (change, r.text)
    url = f"/api/v1/sla-policies/{created['id']}"
    r = await client.patch(url, json={"name": "Gold", "channel": "email"}, headers=admin_headers)
    assert r.status_code == 200 and (r.json()["name"], r.json()["channel"]) == ("Gold", "email")
    assert (await client.delete(url, headers=admin_headers)).status_code == 204
    assert (await client.get(url, headers=admin_headers)).status_code == 404


async def test_clock_runs_from_creation_and_a_reply_meets_first_response(
    app, client, admin_headers
):
    await policy(client, admin_headers)
    ticket = await new_ticket(app, client, admin_headers)
    sla = ticket["sla"]
    created = at(ticket["created_at"])
    first = sla["first_response"]
    assert (first["state"], first["paused"], first["breached"]) == ("running", False, False)
    assert at(first["due_at"]) == created + timedelta(minutes=10)
    assert 0 < first["time_left_seconds"] <= 600 and first["target_minutes"] == 10
    assert at(sla["resolution"]["due_at"]) == created + timedelta(minutes=60)
    assert sla["next_response"] is None and at(sla["next_due_at"]) == at(first["due_at"])
    await client.post(
        f"/api/v1/tickets/{ticket['id']}/messages", json={"body": "On it"}, headers=admin_headers
    )
    sla = (await settled(app, client, admin_headers, ticket["id"]))["sla"]
    assert sla["first_response"]["state"] == "met" and not sla["first_response"]["breached"]
    assert sla["first_response"]["time_left_seconds"] is None
    assert sla["next_due_at"] == sla["resolution"]["due_at"]


async def test_most_specific_policy_applies(app, client, admin_headers):
    team_id = await team(client, admin_headers)
    targets = lambda minutes, p="normal": {p: {"first_response_minutes": minutes}}  # noqa: E731
    await policy(client, admin_headers, {"name": "all", "targets": targets(60)})
    await policy(client, admin_headers, {"name": "api", "channel": "api", "targets": targets(30)})
    team_policy = await policy(
        client, admin_headers, {"name": "team", "team_id": team_id, "targets": targets(20)}
    )
    both = {"name": "both", "channel": "api", "team_id": team_id, "targets": targets(5, "urgent")}
    await policy(client, admin_headers, both)
    normal = await new_ticket(app, client, admin_headers, team_id=team_id)
    assert normal["sla"]["policy_id"] == team_policy["id"]  # "both" has no normal target
    assert normal["sla"]["first_response"]["target_minutes"] == 20
    urgent = await new_ticket(app, client, admin_headers, team_id=team_id, priority="urgent")
    assert urgent["sla"]["first_response"]["target_minutes"] == 5
    plain = await new_ticket(app, client, admin_headers)
    assert plain["sla"]["first_response"]["target_minutes"] == 30


async def test_targets_count_the_teams_business_hours(app, client, admin_headers):
    team_id = await team(client, admin_headers)
    r = await client.put(f"/api/v1/teams/{team_id}/hours", json=NINE_TO_FIVE, headers=admin_headers)
    assert r.status_code == 200, r.text
    await policy(client, admin_headers)
    friday = datetime(2025, 3, 28, 16, 55, tzinfo=BERLIN)  # Berlin moves to CEST on Sunday
    with time_machine.travel(friday, tick=False):
        ticket = await new_ticket(app, client, admin_headers, team_id=team_id)
    due = at(ticket["sla"]["first_response"]["due_at"])
    # 5 minutes on Friday, 5 more from Monday 09:00 (summer time by then).
    assert due.astimezone(UTC) == datetime(2025, 3, 31, 7, 5, tzinfo=UTC)
    assert await events(client, admin_headers, ticket["id"], "ticket.sla_warning") == []


async def test_pending_pauses_the_clock_and_open_resumes_it(app, client, admin_headers):
    await policy(client, admin_headers)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with time_machine.travel(start, tick=False):
        ticket = await new_ticket(app, client, admin_headers)
    url = f"/api/v1/tickets/{ticket['id']}"
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        await client.patch(url, json={"status": "pending"}, headers=admin_headers)
        paused = (await settled(app, client, admin_headers, ticket["id"]))["sla"]
    first = paused["first_response"]
    assert (first["state"], first["paused"], first["due_at"]) == ("paused", True, None)
    assert first["time_left_seconds"] == 7 * 60 and paused["next_due_at"] is None
    later = start + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        await app.state.dispatcher.drain()  # the old due time passed while paused: no breach
        assert await events(client, admin_headers, ticket["id"], "ticket.sla_breached") == []
        await client.patch(url, json={"status": "open"}, headers=admin_headers)
        resumed = (await settled(app, client, admin_headers, ticket["id"]))["sla"]
    assert resumed["first_response"]["state"] == "running"
    assert at(resumed["first_response"]["due_at"]) == later + timedelta(minutes=7)


async def test_warning_then_breach_are_written_once_each_at_their_time(app, client, admin_headers):
    await policy(client, admin_headers)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with time_machine.travel(start, tick=False):
        ticket = await new_ticket(app, client, admin_headers)
    tid = ticket["id"]
    created = at(ticket["created_at"])
    count = lambda kind: events(client, admin_headers, tid, kind)  # noqa: E731
    # minutes after creation -> (warnings, breaches) written so far; first response is due
    # at 10 (warned at 5), resolution at 60 (warned at 30)
    expected = {
        4.9: (0, 0),
        5.1: (1, 0),
        5.2: (1, 0),
        9.9: (1, 0),
        10.1: (1, 1),
        10.2: (1, 1),
        30.1: (2, 1),
        60.1: (2, 2),
        90: (2, 2),
    }
    for minutes, (warnings, breaches) in expected.items():
        with time_machine.travel(created + timedelta(minutes=minutes), tick=False):
            await app.state.dispatcher.drain()
        seen = len(await count("ticket.sla_warning")), len(await count("ticket.sla_breached"))
        assert seen == (warnings, breaches), minutes
    breached = await count("ticket.sla_breached")
    assert [e["payload"]["metric"] for e in breached] == ["first_response", "resolution"]
    assert at(breached[0]["payload"]["due_at"]) == at(ticket["sla"]["first_response"]["due_at"])
    with time_machine.travel(created + timedelta(minutes=91), tick=False):
        sla = (await settled(app, client, admin_headers, tid))["sla"]
    assert sla["breached"] and sla["first_response"]["time_left_seconds"] < 0


async def test_queue_sorts_by_due_soonest(app, client, admin_headers):
    await policy(client, admin_headers)
    normal = await new_ticket(app, client, admin_headers)
    urgent = await new_ticket(app, client, admin_headers, priority="urgent")
    low = await new_ticket(app, client, admin_headers, priority="low")  # no policy target
    r = await client.get("/api/v1/tickets?sort=sla_due&limit=1", headers=admin_headers)
    order, page = [r.json()["items"][0]["id"]], r.json()
    while page["next_cursor"]:
        url = f"/api/v1/tickets?sort=sla_due&limit=1&cursor={page['next_cursor']}"
        page = (await client.get(url, headers=admin_headers)).json()
        order += [t["id"] for t in page["items"]]
    assert order == [urgent["id"], normal["id"], low["id"]]
    assert low["sla"] is None


@pytest.mark.parametrize("hours_status", ["open", "closed"])
async def test_team_hours_api(app, client, admin_headers, hours_status):
    team_id = await team(client, admin_headers)
    url = f"/api/v1/teams/{team_id}/hours"
    default = (await client.get(url, headers=admin_headers)).json()
    assert default["is_default"] and default["timezone"] == "UTC"
    overlapping = NINE_TO_FIVE | {
        "week": {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "14:00"}]}
    }
    r = await client.put(url, json=overlapping, headers=admin_headers)
    assert r.status_code == 422 and "overlap" in r.json()["detail"]
    body = NINE_TO_FIVE | {"holiday_country": "DE", "closed_dates": [{"date": "2025-12-24"}]}
    saved = (await client.put(url, json=body, headers=admin_headers)).json()
    assert not saved["is_default"] and saved["holiday_country"] == "DE"
    when = "2025-12-23T10:00:00%2B01:00" if hours_status == "open" else "2025-12-24T10:00:00Z"
    status = (await client.get(f"{url}/status?at={when}", headers=admin_headers)).json()
    if hours_status == "open":
        assert status["open_now"] and status["next_open"] is None
        assert at(status["closes_at"]) == datetime(2025, 12, 23, 17, tzinfo=BERLIN)
    else:
        assert not status["open_now"]
        assert at(status["next_open"]) == datetime(2025, 12, 29, 9, tzinfo=BERLIN)
    assert (await client.delete(url, headers=admin_headers)).status_code == 204
    assert (await client.get(url, headers=admin_headers)).json()["is_default"]
