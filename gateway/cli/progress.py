"""A one-line progress bar on stderr for the long imports (`kb import`, `examples import`)."""

from __future__ import annotations

import sys


class Progress:
    """Redrawn in place on a terminal; a line per 10% elsewhere (logs, CI)."""

    def __init__(self, total: int, label: str, stream=None, width: int = 30) -> None:
        self.total, self.label, self.width, self.done = max(total, 1), label, width, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_tenth = -1

    def step(self, note: str = "") -> None:
        self.done += 1
        filled = self.width * self.done // self.total
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
        )
        if self.tty:
            self.stream.write(f"\r{line} {note[-40:]:<40}")
        elif (tenth := 10 * self.done // self.total) != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
