"""python-socketio's Redis manager, made to outlast a Redis outage without losing emits.

The stock manager delivers an emit to this process's sockets, then publishes it for the other
gateway processes; while Redis is down it tries twice and drops it ("Cannot publish to
redis... giving up"), and its subscriber backs off up to 60 s, so a process may stay deaf for
a minute after Redis is back. Here a publish that fails is kept, in order with every later one,
and replayed when Redis answers and the other processes have subscribed again (or after
`GRACE`, when some never come back); the subscriber retries every second at most.

What is kept lives in this process: if it dies during the outage, its kept emits are gone
(a widget still catches up from the outbox when it reconnects, gateway/realtime_events.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

import socketio
from redis import asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
BACKLOG = 10_000  # emits kept during an outage; the oldest go first beyond it
MAX_AGE = 600.0  # seconds; older kept emits are stale news, not replayed
GRACE = 3.0  # seconds to wait, after Redis is back, for the other processes to subscribe
POOL, POOL_WAIT = 32, 5.0  # publishing connections; seconds an emit waits for one
RETRY_FIRST, RETRY_MAX = 0.25, 1.0  # seconds between reconnect attempts (doubling)


class ResilientRedisManager(socketio.AsyncRedisManager):
    def __init__(self, url: str, channel: str) -> None:
        super().__init__(url, channel=channel)
        # Its own client, failing fast: redis-py's default retries for seconds per command,
        # and every emit of this process waits for its publish. A burst of emits (the live
        # push sends a batch at once) waits for one of POOL connections: the default pool
        # raises "Too many connections" past 100, which looked like an outage (emits kept and
        # replayed seconds later: bench/chat --redis at 100 msg/s, p50 1.4 s).
        retry = Retry(NoBackoff(), 1)
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=POOL, timeout=POOL_WAIT, retry=retry
        )
        self._out = aioredis.Redis(connection_pool=pool, retry=retry)
        self._kept: deque[tuple[float, dict]] = deque(maxlen=BACKLOG)
        self._replaying: asyncio.Task | None = None
        self._listeners = 0  # processes that heard the last publish that got through

    async def _publish(self, data: dict) -> None:
        if self._replaying is not None:  # an outage is on: behind the others, in order
            self._keep(data)
            return
        try:
            self._listeners = await self._out.publish(self.channel, self.json.dumps(data))
        except Exception as exc:  # RedisError, OSError: whatever stops it, keep the emit
            log.warning("socket.io: cannot publish to Redis (%s); keeping emits to replay", exc)
            self._keep(data)
            self._replaying = asyncio.get_running_loop().create_task(self._replay())

    def _keep(self, data: dict) -> None:
        if len(self._kept) == BACKLOG:
            log.warning("socket.io: %d emits kept; dropping the oldest", BACKLOG)
        self._kept.append((time.monotonic(), data))

    async def _replay(self) -> None:
        delay, since = RETRY_FIRST, time.monotonic()
        while True:
            try:
                await self._wait_for_listeners()
                sent = await self._publish_kept()
                break
            except Exception:  # still down: try again later, quietly
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
        self._replaying = None  # no await since the backlog emptied: nothing slips past it
        waited = time.monotonic() - since
        log.warning("socket.io: Redis is back after %.1f s; replayed %d emits", waited, sent)

    async def _wait_for_listeners(self) -> None:
        """Until as many processes listen as heard us before the outage, or GRACE passes."""
        await self._out.ping()
        deadline = time.monotonic() + GRACE
        while time.monotonic() < deadline:
            [(_, listening)] = await self._out.pubsub_numsub(self.channel)
            if listening >= self._listeners:
                return
            await asyncio.sleep(0.05)

    async def _publish_kept(self) -> int:
        sent = 0
        while self._kept:
            kept_at, data = self._kept[0]
            if time.monotonic() - kept_at < MAX_AGE:
                await self._out.publish(self.channel, self.json.dumps(data))
                sent += 1
            self._kept.popleft()  # only once it went out: a failure replays it next time
        return sent

    async def _redis_listen_with_retries(self):
        """The stock loop, with a short retry cap (it doubles to 60 s) and one log line per
        outage instead of one per attempt."""
        delay, subscribed, failing = RETRY_FIRST, False, False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    subscribed, delay = True, RETRY_FIRST
                    if failing:
                        log.warning("socket.io: subscribed to Redis again")
                        failing = False
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:
                if not failing:
                    log.warning("socket.io: lost the Redis subscription (%s); retrying", exc)
                    failing = True
                subscribed = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
