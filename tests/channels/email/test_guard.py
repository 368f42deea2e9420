"""Loop protection: sliding windows on a fake clock, and when the bot may answer."""

from __future__ import annotations

from channels.email.guard import EmailGuard, SlidingWindow, should_bot_answer
from store.messages import Identity, InboundMessage


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def message(sender: str = "ann@c.example", flags=()) -> InboundMessage:
    return InboundMessage(
        channel="email",
        external_id="<1@c>",
        thread_key="<1@c>",
        sender=Identity("email", sender),
        text="hi",
        flags=set(flags),
    )


def test_sliding_window_forgets_old_events():
    clock = FakeClock()
    window = SlidingWindow(limit=2, window=60, clock=clock)
    window.record("a")
    window.record("a")
    assert not window.allows("a") and window.allows("b")
    clock.now += 61
    assert window.allows("a") and window.count("a") == 0


def test_flooding_sender_is_rate_limited_then_recovers():
    clock = FakeClock()
    guard = EmailGuard(inbound_limit=3, inbound_window=600, clock=clock)
    results = [guard.note_inbound(message()).flags for _ in range(5)]
    assert [("rate_limited" in flags) for flags in results] == [False, False, False, True, True]
    assert guard.should_bot_answer(message(flags={"rate_limited"})) == (False, "rate_limited")
    clock.now += 601
    assert "rate_limited" not in guard.note_inbound(message()).flags


def test_noise_is_never_answered():
    for flag in ("auto_reply", "bounce", "from_self", "malformed", "rate_limited"):
        assert should_bot_answer(message(flags={flag})) == (False, flag)
    assert should_bot_answer(message(sender="")) == (False, "no sender")
    assert should_bot_answer(message()) == (True, "ok")


def test_auto_replies_per_recipient_are_capped_per_window():
    clock = FakeClock()
    guard = EmailGuard(reply_limit=2, reply_window=3600, clock=clock)
    for _ in range(2):
        assert guard.should_bot_answer(message())[0]
        guard.record_auto_reply("ANN@c.example")
    assert guard.should_bot_answer(message()) == (False, "auto_reply_cap")
    assert guard.should_bot_answer(message(sender="bob@c.example"))[0]
    clock.now += 3601
    assert guard.should_bot_answer(message()) == (True, "ok")
