"""One instance per database URL in this process (every Database object on a URL sees the
same rows, so they share one in-memory index)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from store.db import Database

T = TypeVar("T")


class PerDatabase(Generic[T]):
    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._made: dict[str, T] = {}
        self._guard = threading.Lock()

    def get(self, db: Database) -> T:
        with self._guard:
            found = self._made.get(db.url)
        if found is not None:
            return found
        made = self._make()  # outside the lock: building may load a model
        with self._guard:
            return self._made.setdefault(db.url, made)
