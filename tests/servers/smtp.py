"""Pytest plugin: in-process aiosmtpd servers, one recording, one failing on purpose (4xx, 5xx)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from tests.servers.dovecot import free_port


@dataclass
class RecordingHandler:
    """Keeps every accepted envelope, so tests can read what reached the server."""

    envelopes: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 Message accepted for delivery"


@dataclass
class FailingHandler:
    """Refuses data: first a temporary 451, then a permanent 550, as a real MTA might."""

    attempts: int = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.attempts == 1:
            return "451 4.3.0 Mail server temporarily rejected message"
        return "550 5.1.1 Mailbox does not exist"


def _serve(handler):
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()  # start() waits until the server answers
    return controller


@pytest.fixture(name="smtp_server")
def smtp_server_fixture():
    """(controller, handler) of a recording SMTP server on a free loopback port."""
    handler = RecordingHandler()
    controller = _serve(handler)
    yield controller, handler
    controller.stop()


@pytest.fixture(name="failing_smtp_server")
def failing_smtp_server_fixture():
    handler = FailingHandler()
    controller = _serve(handler)
    yield controller, handler
    controller.stop()
