"""Engine, declarative base and the unit of work every entry point opens around service calls."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import aiosqlite
from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both engines (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict: JSONType, list: JSONType}


BUSY_TIMEOUT_MS = 10000


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # We emit BEGIN ourselves (below), so SAVEPOINTs work: the driver's implicit transactions
    # would otherwise interfere. WAL lets readers run beside the writer; NORMAL sync is durable
    # across process crashes.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class _InlineSqlite(aiosqlite.Connection):
    """aiosqlite whose statements run on the event loop itself, not in the connection's thread.

    A statement hop to that thread waits for the loop to come round again, and under load a
    loop turn is milliseconds: a transaction of a dozen statements then takes tens of them
    while it holds SQLite's one write lock. Once BEGIN IMMEDIATE holds the lock no statement
    waits for another connection (WAL readers never block the writer), and the inserts and
    index lookups of a short write transaction take microseconds each. The connection's busy
    timeout is 0, so a BEGIN that finds another process writing fails at once instead of
    blocking the loop, and is retried in the thread, where it may wait.
    """

    _in_thread = False  # a call is running in the thread: later ones queue behind it

    async def _execute(self, fn, *args, **kwargs):
        if self._connection is None or self._in_thread:
            return await super()._execute(fn, *args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            sql = args[0] if args and isinstance(args[0], str) else ""
            if sql[:5].upper() != "BEGIN" or "locked" not in str(exc):
                raise
        # Cleared by the thread itself when done: a cancelled waiter must not let the next
        # call (a rollback, a close) touch the connection while the thread still uses it.
        self._in_thread = True
        return await super()._execute(self._waiting, fn, *args, **kwargs)

    def _waiting(self, fn, *args, **kwargs):
        conn = self._conn
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            try:
                return fn(*args, **kwargs)
            finally:
                conn.execute("PRAGMA busy_timeout=0")
        finally:
            self._in_thread = False


def _inline_connector(path: str):
    async def connect() -> aiosqlite.Connection:
        conn = _InlineSqlite(lambda: sqlite3.connect(path, timeout=0, check_same_thread=False), 64)
        conn._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
        return await conn

    return connect


def _no_busy_wait(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=0")
    cur.close()


def make_engine(
    url: str, *, read_only: bool = False, inline: bool = False, **kwargs
) -> AsyncEngine:
    if url.startswith("sqlite"):
        if inline:
            kwargs["async_creator"] = _inline_connector(make_url(url).database)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if inline:
            event.listen(engine.sync_engine, "connect", _no_busy_wait)
        # Writers: IMMEDIATE takes the write lock at the start, so a transaction that read first
        # never fails to upgrade later (SQLITE_BUSY_SNAPSHOT is not retried by busy_timeout).
        # Readers: a plain BEGIN reads a WAL snapshot beside the writer, never waiting for it.
        begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        event.listen(engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _is_file(url: str) -> bool:
    database = make_url(url).database
    return bool(database) and database != ":memory:" and not database.startswith("file:")


_current: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)


class Database:
    """Owns the engine; `uow()` is one transaction, committed on success, rolled back on error.

    Services flush and never commit; the caller's unit of work decides. After a commit that wrote
    outbox events, the `on_commit` callbacks run (the dispatcher wakes up at once).
    """

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite, reads get their own engine so they need not queue for the write lock.
        self._read_engine = (
            make_engine(url, read_only=True, **engine_kwargs) if self.is_sqlite else self.engine
        )
        self._read_sessions = async_sessionmaker(self._read_engine, expire_on_commit=False)
        # On SQLite (a file), short many-statement write transactions may run inline (below).
        self._inline_engine = self.engine
        if self.is_sqlite and _is_file(url):
            self._inline_engine = make_engine(url, inline=True, **engine_kwargs)
        self._inline_sessions = async_sessionmaker(self._inline_engine, expire_on_commit=False)
        self.on_commit: list[Callable[[], None]] = []
        # SQLite has one writer at a time: queue for it here (fair, no busy-wait in threads).
        self._write_lock = asyncio.Lock() if self.is_sqlite else contextlib.nullcontext()

    @asynccontextmanager
    async def uow(self, *, inline: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction. Inside another uow of the same task it joins the outer one.

        `inline`: on SQLite, run the statements on the event loop instead of one thread hop
        each. For short transactions of many statements that only write and look up by index
        (the ingest writer's batches, the dispatcher's passes): each blocks the loop while it
        runs, so never for scans or searches. Elsewhere it changes nothing.
        """
        outer = _current.get()
        if outer is not None and outer.bind in (self.engine, self._inline_engine):
            yield outer
            return
        sessions = self._inline_sessions if inline else self.sessions
        async with self._write_lock, sessions() as session:
            token = _current.set(session)
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                _current.reset(token)
        if session.info.pop("events_written", False):
            for callback in self.on_commit:
                callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction: a consistent snapshot, never holding up or waiting for
        writers. Nothing is committed (a write here is rolled back)."""
        async with self._read_sessions() as session:
            try:
                yield session
            finally:
                await session.rollback()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._inline_engine is not self.engine:
            await self._inline_engine.dispose()
        if self._read_engine is not self.engine:
            await self._read_engine.dispose()
