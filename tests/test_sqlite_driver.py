"""SQLite's driver (storage/sqlite_driver.py): a write transaction makes no trip to aiosqlite's
thread (but its BEGIN IMMEDIATE while another process holds the write lock, and a durable commit:
those wait there); a snapshot's statements one each; every CHECKPOINT_EVERY commits the WAL's
checkpoint starts in a worker thread; what SQLAlchemy reads of a statement is unchanged either way: rows,
counts, new ids, RETURNING, errors.

A trip is counted where aiosqlite's thread logs it ("executing …", once per function it runs)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

import pytest
from sqlalchemy import event, exc, select
from sqlalchemy.util.concurrency import in_greenlet

from storage import outbox as outbox_store
from storage.db import Database
from storage.sqlite_driver import CHECKPOINT_EVERY
from storage.schema import outbox

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class _Trips(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += record.msg == "executing %s"


@contextmanager
def trips() -> Iterator[_Trips]:
    logger = logging.getLogger("aiosqlite")
    counter, level = _Trips(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


def call(chat_id: int, key: str | None = None) -> dict:
    return outbox_store.row(method="sendMessage", params={"chat_id": chat_id, "text": "你好"}, now=NOW,
                            chat_id=chat_id, key=key)


@pytest.fixture
async def db(tmp_path):
    db = Database(str(tmp_path / "trips.db"))
    await db.ensure_schema()
    yield db
    await db.close()


async def statements(conn) -> list[int]:
    """Every kind of statement SQLAlchemy reads differently, each in its own ``trips()``."""
    with trips() as many:
        await outbox_store.enqueue_many(conn, [call(1, "a"), call(2, "b"), call(3)])  # executemany
    with trips() as one:
        new_id = (await conn.execute(outbox.insert().values(call(4)))).inserted_primary_key[0]  # lastrowid
    with trips() as read:
        rows = (await conn.execute(select(outbox.c.id, outbox.c.chat_id).order_by(outbox.c.id))).all()
    with trips() as returning:
        cancelled = await outbox_store.cancel_pending(conn, {"a", "b"}, "test", NOW)
    with trips() as counted:
        await outbox_store.mark_sending(conn, [new_id])
        requeued = await outbox_store.requeue_interrupted(conn, NOW)  # its rowcount
    assert [row.chat_id for row in rows] == [1, 2, 3, 4] and rows[-1].id == new_id
    assert cancelled == {"a", "b"} and requeued == 1
    return [many.count, one.count, read.count, returning.count, counted.count]


async def test_a_write_transactions_statements_make_no_trip_and_read_as_before(db):
    with trips() as whole:
        async with db.transaction() as conn:
            assert await statements(conn) == [0, 0, 0, 0, 0]
    assert whole.count == 0


async def test_a_write_transactions_statements_run_without_a_greenlet_of_their_own(db):
    """SQLAlchemy's asyncio layer starts a greenlet for every statement, which cost about as much
    as a short statement itself; a write transaction's run straight on the loop. A snapshot's,
    which make a trip, still go SQLAlchemy's way."""
    in_a_greenlet: list[bool] = []

    def seen(*_args) -> None:
        in_a_greenlet.append(in_greenlet())

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with db.transaction() as conn:
            await statements(conn)
        async with db.snapshot() as conn:
            await conn.execute(select(outbox.c.id))
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert in_a_greenlet == [False] * 6 + [True]


async def test_a_durable_commit_waits_for_the_disk_in_the_thread(db):
    with trips() as durable:
        async with db.transaction(durable=True) as conn:
            await outbox_store.enqueue_many(conn, [call(1, "a")])
    with trips() as after:  # the next, not durable, on the same connection: on the loop again
        async with db.transaction() as conn:
            await outbox_store.enqueue_many(conn, [call(2, "b")])
    assert (durable.count, after.count) == (1, 0)


async def test_every_hundredth_commit_starts_a_checkpoint_of_the_wal_beside_the_loop(tmp_path):
    db = Database(str(tmp_path / "trips.db"), serving=True)  # a process that serves people
    await db.ensure_schema()
    def in_the_file() -> int:  # rows the database file itself holds (immutable: the WAL unread)
        with sqlite3.connect(f"file:{tmp_path / 'trips.db'}?immutable=1", uri=True) as reader:
            return reader.execute("SELECT count(*) FROM outbox").fetchone()[0]

    dbapi = db.engine.dialect.loaded_dbapi
    # past one checkpoint (the tables in the file), to two commits before the next
    while dbapi.commits < CHECKPOINT_EVERY or dbapi.commits % CHECKPOINT_EVERY != CHECKPOINT_EVERY - 2:
        async with db.transaction():
            pass
    await dbapi.checkpoint
    async with db.transaction() as conn:
        await outbox_store.enqueue_many(conn, [call(1, "a")])
    assert in_the_file() == 0  # in the WAL only
    with trips() as checkpoint:
        async with db.transaction() as conn:
            await outbox_store.enqueue_many(conn, [call(2, "b")])
        await dbapi.checkpoint  # in a worker thread of its own, not aiosqlite's: no trip
    assert checkpoint.count == 0 and in_the_file() == 2
    await db.close()


async def test_while_another_process_writes_begin_waits_in_the_thread_and_the_loop_goes_on(db, tmp_path):
    other = sqlite3.connect(tmp_path / "trips.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def write():
        async with db.transaction() as conn:
            await outbox_store.enqueue_many(conn, [call(1, "a")])

    beat = asyncio.create_task(ticker())
    with trips() as waited:
        writing = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writing.done() and ticks >= 10  # waiting for the lock, the loop not held up
        other.execute("COMMIT")
        await writing
    beat.cancel()
    other.close()
    assert waited.count == 1  # BEGIN IMMEDIATE waited in the thread
    async with db.read() as conn:
        assert (await conn.execute(select(outbox.c.key))).scalars().all() == ["a"]


async def test_a_snapshots_reads_are_one_trip_each(db):
    async with db.transaction() as conn:
        await outbox_store.enqueue_many(conn, [call(1, "a")])
    async with db.snapshot() as conn:
        with trips() as read:
            rows = (await conn.execute(select(outbox.c.chat_id))).scalars().all()
        with trips() as again:  # after a read in the thread, the next one goes there too
            assert (await conn.execute(select(outbox.c.key))).scalars().all() == ["a"]
    assert rows == [1] and (read.count, again.count) == (1, 1)


async def test_a_failed_statement_raises_as_before_and_the_connection_goes_on(db):
    async with db.transaction() as conn:
        await outbox_store.enqueue_many(conn, [call(1, "a")])
    with pytest.raises(exc.IntegrityError), trips() as failed:
        async with db.transaction() as conn:
            await conn.execute(outbox.insert().values(call(2, "a")))  # the key exists
    assert failed.count == 0  # BEGIN IMMEDIATE, the INSERT and the ROLLBACK all ran on the loop
    async with db.read() as conn:
        assert (await conn.execute(select(outbox.c.chat_id))).scalars().all() == [1]
    for _ in range(2):  # the first opens the snapshots' own connection (the writer's stays open)
        with trips() as after:  # the rollback ended the write transaction: outside one, a trip again
            async with db.snapshot() as conn:
                await conn.execute(select(outbox.c.chat_id))
    assert after.count == 3  # BEGIN, the SELECT, the COMMIT
