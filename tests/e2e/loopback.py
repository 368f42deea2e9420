"""Runs an ASGI app with uvicorn on a free loopback port inside the test event loop."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn


class LoopbackServer:
    """An uvicorn server that can be stopped and started again on the same port (an outage)."""

    def __init__(self, app, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = 0  # the kernel picks one at the first start; restarts reuse it
        self.stopped = asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))  # bound here, handed to uvicorn: no free-port race
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        self.stopped = asyncio.Event()
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped the server
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self._server.should_exit = True
        await self._task
        self.stopped.set()


@contextlib.asynccontextmanager
async def serve(app, host: str = "127.0.0.1") -> AsyncIterator[LoopbackServer]:
    """Yield the running server (its base URL is `.url`); stop it on exit."""
    server = LoopbackServer(app, host)
    await server.start()
    try:
        yield server
    finally:
        if not server.stopped.is_set():
            await server.stop()
