"""Ingest in batches (the group-commit path): messages of one batch see each other in order."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from store.contacts.models import Contact
from store.db import Database
from store.messages import Attachment, Identity, InboundMessage
from store.migrate import upgrade
from store.outbox.models import Event
from store.tickets.ingest import ingest_batch
from store.tickets.ingest_writer import write_one


def mail(ext: str, sender: str = "ann@example.com", name: str | None = None, **extra):
    return InboundMessage(
        channel="api",
        external_id=ext,
        thread_key=f"email:{sender}",
        sender=Identity("email", sender, name),
        text=f"message {ext}",
        **extra,
    )


async def test_one_batch_threads_dedupes_and_orders_events(app):
    db = app.state.db
    async with db.uow(inline=True) as session:
        done = await ingest_batch(
            session,
            [
                mail("a-1"),
                mail("b-1", "bob@example.com"),
                mail("a-2", name="Ann"),  # the new contact gets the name it lacked
                mail("a-1"),  # repeated within the batch
            ],
        )
    a1, b1, a2, again = done
    assert a1.created_ticket and b1.created_ticket and not a2.created_ticket
    assert a2.ticket_id == a1.ticket_id != b1.ticket_id
    assert again.duplicate and again.message_id == a1.message_id
    assert again.event_id == a1.event_id and not again.created_ticket
    async with db.read() as session:
        names = sorted(await session.scalars(select(Contact.name)))
        types = list(
            await session.scalars(
                select(Event.type).where(Event.ticket_id == a1.ticket_id).order_by(Event.id)
            )
        )
    assert names == ["", "Ann"]
    assert types == ["ticket.created", "message.received", "message.received"]


async def test_redelivery_in_a_later_batch_answers_what_was_stored(app):
    data = Attachment("note.txt", "text/plain", b"hello")
    first = await write_one(app.state.db, mail("c-1", attachments=[data]))
    again = await write_one(app.state.db, mail("c-1"))
    assert again.duplicate and (again.message_id, again.event_id) == (
        first.message_id,
        first.event_id,
    )
    assert [a.filename for a in again.message.attachments] == ["note.txt"]
    assert first.message.attachments[0].id == again.message.attachments[0].id
    assert first.message.text == "message c-1" and first.message.id == first.message_id


async def test_concurrent_submits_share_commits_and_each_gets_its_own_answer(app):
    writer = app.state.ingest
    inbound = [mail(f"d-{i}", f"c{i % 3}@example.com") for i in range(30)]
    done = await asyncio.gather(*(writer.submit(m) for m in inbound))
    assert len({d.message_id for d in done}) == 30
    assert len({d.ticket_id for d in done}) == 3  # one open ticket per customer
    assert sum(d.created_ticket for d in done) == 3
    async with app.state.db.read() as session:
        received = await session.scalar(
            select(func.count()).where(Event.type == "message.received")
        )
    assert received == 30


async def test_inline_writer_waits_off_the_loop_for_another_process(tmp_path):
    """SQLite: an inline unit of work that finds the write lock taken (another process)
    waits for it in the driver's thread; the event loop keeps running meanwhile."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    other, ours = Database(url), Database(url)  # two processes' worth of connections
    await upgrade(other.engine)
    try:
        async with other.uow() as holder:
            await holder.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            writer = asyncio.create_task(_insert_inline(ours))
            ticks = 0
            for _ in range(20):  # the loop is free while the writer waits
                await asyncio.sleep(0.01)
                ticks += 1
            assert ticks == 20 and not writer.done()
        assert await asyncio.wait_for(writer, 10) == 1
    finally:
        await other.dispose()
        await ours.dispose()


async def _insert_inline(db: Database) -> int:
    async with db.uow(inline=True) as session:
        await session.execute(text("INSERT INTO t DEFAULT VALUES"))
        return await session.scalar(text("SELECT count(*) FROM t"))
