"""A LangGraph checkpoint saver over our own database (SQLite or PostgreSQL, one code path):
persistence, so it lives in the store; agent_graph compiles its graph with it.

The packaged savers want their own drivers (sqlite3/aiosqlite connection, psycopg); ours runs
on SQLAlchemy's async engines, so a paused review survives a restart on either engine and
checkpoints commit through the same unit of work as everything else. Layout follows
InMemorySaver: checkpoints without their channel values, values as versioned blobs, and the
pending writes of each task.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_checkpoint_metadata,
)
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.agent.models import GraphBlob, GraphCheckpoint, GraphWrite
from store.db import Database


class DatabaseSaver(BaseCheckpointSaver[str]):
    """Async-only saver; the graph is always run with `ainvoke`."""

    def __init__(self, db: Database, **kwargs) -> None:
        super().__init__(**kwargs)
        self.db = db

    def _upsert(self, model, rows: list[dict], keys: list[str], *, replace: bool):
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        stmt = insert(model).values(rows)
        if replace:
            cols = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
            return stmt.on_conflict_do_update(index_elements=keys, set_=cols)
        return stmt.on_conflict_do_nothing(index_elements=keys)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        conf = config["configurable"]
        thread_id, ns = str(conf["thread_id"]), conf.get("checkpoint_ns", "")
        query = select(GraphCheckpoint).where(
            GraphCheckpoint.thread_id == thread_id, GraphCheckpoint.checkpoint_ns == ns
        )
        if checkpoint_id := get_checkpoint_id(config):
            query = query.where(GraphCheckpoint.checkpoint_id == checkpoint_id)
        else:
            query = query.order_by(GraphCheckpoint.checkpoint_id.desc()).limit(1)
        async with self.db.read() as session:
            row = await session.scalar(query)
            if row is None:
                return None
            return await self._tuple(session, row)

    async def _tuple(self, session, row: GraphCheckpoint) -> CheckpointTuple:
        checkpoint = self.serde.loads_typed((row.type, row.checkpoint))
        versions = checkpoint.get("channel_versions", {})
        blobs = await session.scalars(
            select(GraphBlob).where(
                GraphBlob.thread_id == row.thread_id,
                GraphBlob.checkpoint_ns == row.checkpoint_ns,
                GraphBlob.channel.in_(list(versions)),
            )
        )
        values = {}
        for blob in blobs:
            if str(versions.get(blob.channel)) == blob.version and blob.type != "empty":
                values[blob.channel] = self.serde.loads_typed((blob.type, blob.value))
        writes = await session.scalars(
            select(GraphWrite)
            .where(
                GraphWrite.thread_id == row.thread_id,
                GraphWrite.checkpoint_ns == row.checkpoint_ns,
                GraphWrite.checkpoint_id == row.checkpoint_id,
            )
            .order_by(GraphWrite.task_path, GraphWrite.task_id, GraphWrite.idx)
        )
        ids = {"thread_id": row.thread_id, "checkpoint_ns": row.checkpoint_ns}
        parent = row.parent_checkpoint_id
        return CheckpointTuple(
            config={"configurable": {**ids, "checkpoint_id": row.checkpoint_id}},
            checkpoint={**checkpoint, "channel_values": values},
            metadata=self.serde.loads_typed((row.metadata_type, row.metadata_blob)),
            parent_config={"configurable": {**ids, "checkpoint_id": parent}} if parent else None,
            pending_writes=[
                (w.task_id, w.channel, self.serde.loads_typed((w.type, w.value))) for w in writes
            ],
        )

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        query = select(GraphCheckpoint).order_by(GraphCheckpoint.checkpoint_id.desc())
        if config:
            conf = config["configurable"]
            query = query.where(GraphCheckpoint.thread_id == str(conf["thread_id"]))
            if "checkpoint_ns" in conf:
                query = query.where(GraphCheckpoint.checkpoint_ns == conf["checkpoint_ns"])
        if before and (before_id := get_checkpoint_id(before)):
            query = query.where(GraphCheckpoint.checkpoint_id < before_id)
        async with self.db.read() as session:
            found = 0
            for row in list(await session.scalars(query)):
                item = await self._tuple(session, row)
                if filter and any(item.metadata.get(k) != v for k, v in filter.items()):
                    continue
                yield item
                found += 1
                if limit is not None and found >= limit:
                    return

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        conf = config["configurable"]
        thread_id, ns = str(conf["thread_id"]), conf.get("checkpoint_ns", "")
        bare = checkpoint.copy()
        values: dict[str, Any] = bare.pop("channel_values")
        blobs = []
        for channel, version in new_versions.items():
            kind, data = (
                self.serde.dumps_typed(values[channel]) if channel in values else ("empty", b"")
            )
            blobs.append(
                dict(
                    thread_id=thread_id,
                    checkpoint_ns=ns,
                    channel=channel,
                    version=str(version),
                    type=kind,
                    value=data,
                )
            )
        kind, data = self.serde.dumps_typed(bare)
        meta_kind, meta = self.serde.dumps_typed(get_checkpoint_metadata(config, metadata))
        row = dict(
            thread_id=thread_id,
            checkpoint_ns=ns,
            checkpoint_id=checkpoint["id"],
            parent_checkpoint_id=conf.get("checkpoint_id"),
            type=kind,
            checkpoint=data,
            metadata_type=meta_kind,
            metadata_blob=meta,
        )
        async with self.db.uow() as session:
            if blobs:
                keys = ["thread_id", "checkpoint_ns", "channel", "version"]
                await session.execute(self._upsert(GraphBlob, blobs, keys, replace=True))
            keys = ["thread_id", "checkpoint_ns", "checkpoint_id"]
            await session.execute(self._upsert(GraphCheckpoint, [row], keys, replace=True))
        ids = {"thread_id": thread_id, "checkpoint_ns": ns}
        return {"configurable": {**ids, "checkpoint_id": checkpoint["id"]}}

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        conf = config["configurable"]
        rows, replace = [], all(c in WRITES_IDX_MAP for c, _ in writes)
        for idx, (channel, value) in enumerate(writes):
            kind, data = self.serde.dumps_typed(value)
            rows.append(
                dict(
                    thread_id=str(conf["thread_id"]),
                    checkpoint_ns=conf.get("checkpoint_ns", ""),
                    checkpoint_id=conf["checkpoint_id"],
                    task_id=task_id,
                    idx=WRITES_IDX_MAP.get(channel, idx),
                    channel=channel,
                    type=kind,
                    value=data,
                    task_path=task_path,
                )
            )
        if not rows:
            return
        keys = ["thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx"]
        async with self.db.uow() as session:
            await session.execute(self._upsert(GraphWrite, rows, keys, replace=replace))

    async def adelete_thread(self, thread_id: str) -> None:
        async with self.db.uow() as session:
            for model in (GraphWrite, GraphBlob, GraphCheckpoint):
                await session.execute(delete(model).where(model.thread_id == str(thread_id)))
