"""Loop and noise protection for email: inbound rate limits, auto-reply caps, bot-answer policy."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

from store.messages import InboundMessage

Clock = Callable[[], float]
_NO_ANSWER = ("malformed", "bounce", "auto_reply", "from_self", "complaint", "rate_limited")


class SlidingWindow:
    """At most `limit` events per key within `window` seconds, on a clock you can give it."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def count(self, key: str) -> int:
        events = self._events[key]
        cutoff = self.clock() - self.window
        while events and events[0] <= cutoff:
            events.popleft()
        if not events:
            del self._events[key]  # forget idle keys so memory follows active senders only
            return 0
        return len(events)

    def allows(self, key: str) -> bool:
        return self.count(key) < self.limit

    def record(self, key: str) -> None:
        self.count(key)
        self._events[key].append(self.clock())


def should_bot_answer(inbound: InboundMessage) -> tuple[bool, str]:
    """Whether the bot may answer this message at all, and why not."""
    for flag in _NO_ANSWER:
        if flag in inbound.flags:
            return False, flag
    if not inbound.sender.value:
        return False, "no sender"
    return True, "ok"


class EmailGuard:
    """In-memory state per mailbox: senders that flood us, recipients we auto-answered."""

    def __init__(
        self,
        *,
        inbound_limit: int = 20,
        inbound_window: float = 3600.0,
        reply_limit: int = 3,
        reply_window: float = 86400.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.inbound = SlidingWindow(inbound_limit, inbound_window, clock)
        self.replies = SlidingWindow(reply_limit, reply_window, clock)

    def note_inbound(self, inbound: InboundMessage) -> InboundMessage:
        """Count the message; flag it "rate_limited" once its sender exceeds the limit."""
        sender = inbound.sender.value
        if sender:
            if not self.inbound.allows(sender):
                inbound.flags.add("rate_limited")
            self.inbound.record(sender)
        return inbound

    def should_bot_answer(self, inbound: InboundMessage) -> tuple[bool, str]:
        allowed, reason = should_bot_answer(inbound)
        if allowed and not self.replies.allows(inbound.sender.value):
            return False, "auto_reply_cap"
        return allowed, reason

    def record_auto_reply(self, recipient: str) -> None:
        """Call after an automatic reply went out to `recipient`."""
        self.replies.record(recipient.lower())


# One guard per mailbox in this process: the poller counts senders in it and the send adapter
# counts automatic replies in it, so both sides of a mail loop see the same numbers.
_guards: dict[int | None, EmailGuard] = {}


def guard_for(account_id: int | None) -> EmailGuard:
    guard = _guards.get(account_id)
    if guard is None:
        guard = _guards[account_id] = EmailGuard()
    return guard
