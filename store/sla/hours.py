"""Business hours as a pure calculator: is it open, when does it open, and business time
added to or counted between instants, in the schedule's own time zone (DST-correct).

A schedule is a weekly template of opening intervals in local wall time (several a day, an
overnight one runs into the next day) minus closed dates (public and custom holidays). An
interval that starts on a closed date does not open; one that started the day before runs
to its end. Every instant in and out is timezone-aware; the arithmetic is done on UTC spans
built from the template one local day at a time, so a day of 23 or 25 hours counts as such.

Wall times that do not exist (the spring-forward gap) map to the instant the clocks jump,
so an interval inside the gap opens for no time and one across it is an hour shorter.
Ambiguous wall times (fall back) mean their first occurrence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = 24 * 60  # minutes
SEARCH_DAYS = 2 * 366  # longer closed than this counts as never open again
Interval = tuple[int, int]  # minutes after the local midnight of its day; end may pass DAY
FULL_WEEK: tuple[tuple[Interval, ...], ...] = tuple(((0, DAY),) for _ in range(7))


def _never_closed(_: date) -> bool:
    return False


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    week: tuple[tuple[Interval, ...], ...]  # index 0 = Monday, intervals sorted
    closed: Callable[[date], bool] = field(default=_never_closed)

    def is_open(self, at: datetime) -> bool:
        return self.next_open(at) == at

    def next_open(self, after: datetime) -> datetime | None:
        """`after` itself when open then, else the next opening; None: not within two years."""
        after = after.astimezone(UTC)
        for start, _ in self.spans(after):
            return max(start, after)
        return None

    def next_close(self, after: datetime) -> datetime | None:
        """When the span open at (or next after) `after` ends; None: never within the search."""
        for _, end in self.spans(after):
            return end
        return None

    def add(self, start: datetime, duration: timedelta) -> datetime | None:
        """The instant `duration` of business time after `start`; None: never (closed for good)."""
        # In UTC: aware arithmetic in a local zone is wall-clock arithmetic, wrong across DST.
        start, left = start.astimezone(UTC), duration
        if left <= timedelta(0):
            return start
        for span_start, span_end in self.spans(start):
            cursor = max(span_start, start)
            if cursor + left <= span_end:
                return cursor + left
            left -= span_end - cursor
        return None

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time in [a, b) (zero when b is not after a)."""
        a, b, total = a.astimezone(UTC), b.astimezone(UTC), timedelta(0)
        if b <= a:
            return total
        for start, end in self.spans(a):
            if start >= b:
                break
            total += min(end, b) - max(start, a)
        return total

    def spans(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open spans in UTC that end after `since`, in order, touching ones merged."""
        since = since.astimezone(UTC)
        if self.week == FULL_WEEK and self.closed is _never_closed:
            yield since - timedelta(days=1), since + timedelta(days=SEARCH_DAYS)  # 24/7: one span
            return
        pending: tuple[datetime, datetime] | None = None
        first = since.astimezone(self.zone).date() - timedelta(days=1)  # yesterday's overnight
        for offset in range(SEARCH_DAYS):
            day = first + timedelta(days=offset)
            if self.closed(day):
                continue
            for lo, hi in self.week[day.weekday()]:
                start, end = self._instant(day, lo), self._instant(day, hi)
                if end <= start or end <= since:
                    continue  # inside a DST gap, or over already
                if pending and start <= pending[1]:
                    pending = (pending[0], max(pending[1], end))
                    continue
                if pending:
                    yield pending
                pending = (start, end)
        if pending:
            yield pending

    def _instant(self, day: date, minutes: int) -> datetime:
        day += timedelta(days=minutes // DAY)
        wall = datetime.combine(day, time(*divmod(minutes % DAY, 60)))
        return to_utc(wall, self.zone)


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time as a UTC instant (gap -> the jump, ambiguous -> the first)."""
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # In the gap: the jump lies between the two readings of the wall time; find it to the
    # second (a gap is at most a day, so 17 halvings).
    lo = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = instant
    after = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


ALWAYS = Schedule(ZoneInfo("UTC"), FULL_WEEK)
