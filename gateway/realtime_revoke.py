"""Console sockets outlive no credential: a signed-out or revoked session, a deactivated user or
a revoked API key loses its open sockets within `CHECK_EVERY` seconds, on whichever gateway
holds them (each gateway checks its own sockets against the database)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from gateway import principal as principals

log = logging.getLogger(__name__)
CHECK_EVERY = 5.0  # seconds between checks of every open console socket


class CredentialWatch:
    def __init__(self, app, sio) -> None:
        self.app, self.sio = app, sio
        self.credentials: dict[str, tuple[str, object]] = {}  # sid -> (Cookie header, auth)
        self._task: asyncio.Task | None = None

    def watch(self, sid: str, environ: dict, auth) -> None:
        self.credentials[sid] = (environ.get("HTTP_COOKIE", ""), auth)

    def forget(self, sid: str) -> None:
        self.credentials.pop(sid, None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="console-credential-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY)
            try:
                await self.check()
            except Exception:  # the database may be away: try again next time
                log.exception("console credential check failed")

    async def check(self) -> list[str]:
        """Disconnect the sockets whose credentials no longer hold; their sids."""
        ended = []
        for sid, (cookie, auth) in list(self.credentials.items()):
            environ = {"HTTP_COOKIE": cookie}
            secret = self.app.state.settings.secret
            who = await principals.from_socket(self.app.state.db, secret, environ, auth)
            if who is None or not who.allows("tickets:read"):
                ended.append(sid)
                self.forget(sid)
                await self.sio.disconnect(sid, namespace="/console")
        return ended
