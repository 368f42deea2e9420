"""Which console room an event's `alert` goes to (gateway/realtime_events.alert_for)."""

from gateway.realtime_events import alert_for


def event(kind: str, **payload) -> dict:
    return {"id": 7, "type": kind, "ticket_id": 3, "payload": payload, "created_at": "t"}


def test_assigned_goes_to_the_assignee():
    room, data = alert_for(event("ticket.assigned", user_id=5, team_id=2, reason="to Ana"))
    assert room == "user:5"
    assert data == {
        "kind": "assigned",
        "event_id": 7,
        "ticket_id": 3,
        "user_id": 5,
        "team_id": 2,
        "reason": "to Ana",
        "at": "t",
    }


def test_queued_goes_to_the_team_or_to_every_agent():
    assert alert_for(event("ticket.queued", team_id=2, reason="busy"))[0] == "team:2"
    assert alert_for(event("ticket.queued", team_id=None, reason="busy"))[0] == "agents"


def test_other_events_alert_nobody():
    assert alert_for(event("ticket.updated")) is None
