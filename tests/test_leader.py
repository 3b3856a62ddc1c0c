"""Several workers on one PostgreSQL (skipped without one): the leader lock, outbox rows claimed
with SKIP LOCKED, and each sender's updates taken in turn. The processes themselves, SIGKILL and
takeover included, are tests/test_failover.py's."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import asyncpg
import pytest
from sqlalchemy import update

from bot.leader import Leadership
from storage import inbox, outbox
from storage.db import Database
from storage.leader import LeaderLock, leader_pid, notify_sender
from storage.schema import inbox as inbox_table
from tests.conftest import fresh_postgres_database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def pg():
    async with fresh_postgres_database() as url:
        db = Database(url)
        await db.ensure_schema()
        yield db
        await db.close()


async def _terminate(db: Database, pid: int) -> None:
    """Cut a connection from the server's side, as a dead process or a lost network does."""
    conn = await asyncpg.connect("postgresql://" + db.url.split("://", 1)[1])
    try:
        await conn.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def test_one_lock_holder_and_the_next_takes_over_when_its_connection_drops(pg):
    first, second = LeaderLock(pg.url), LeaderLock(pg.url)
    try:
        assert await first.acquire() and await first.held()
        assert not await second.acquire()  # a follower
        assert not await second.held()
        async with pg.read() as conn:
            pid = await leader_pid(conn)
        assert pid is not None
        await _terminate(pg, pid)
        assert not await first.held()  # the leader learns it lost the lock
        assert await second.acquire()
        async with pg.read() as conn:
            assert await leader_pid(conn) not in (None, pid)
    finally:
        await first.release()
        await second.release()


async def test_a_leader_that_loses_its_lock_steps_down_and_a_follower_begins_a_term(pg):
    events: list[str] = []
    stop = asyncio.Event()

    def leadership(name: str) -> Leadership:
        async def begin(term):
            events.append(f"{name} leads")

        async def end():
            events.append(f"{name} steps down")
        return Leadership(LeaderLock(pg.url), stop, begin=begin, end=end, retry_seconds=0.05)

    a, b = leadership("a"), leadership("b")
    assert await a.try_lead() and not await b.try_lead()
    loops = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
    try:
        await asyncio.sleep(0.3)
        assert events == ["a leads"]  # b keeps trying, in vain
        async with pg.read() as conn:
            await _terminate(pg, await leader_pid(conn))
        for _ in range(100):
            if {"b leads", "a steps down"} <= set(events):
                break
            await asyncio.sleep(0.05)
        # which comes first is a race (as between two machines): a follower may lead before the
        # old leader notices; SKIP LOCKED keeps their senders off each other's rows meanwhile
        assert events[0] == "a leads" and sorted(events[1:]) == ["a steps down", "b leads"]
        assert b.leading and not a.leading
    finally:
        stop.set()
        await asyncio.gather(*loops)
        await a.close()
        await b.close()


async def test_a_second_sender_passes_over_rows_the_first_has_claimed(pg):
    async with pg.transaction() as conn:
        for chat in range(1, 7):
            await outbox.enqueue(conn, method="sendMessage", params={"chat_id": chat, "text": "x"},
                                 chat_id=chat, now=NOW)
    first_claimed = asyncio.Event()
    release = asyncio.Event()

    async def first():
        async with pg.transaction() as conn:
            rows = await outbox.due(conn, NOW, limit=3, claim=True)
            first_claimed.set()
            await release.wait()
            return [r.id for r in rows]

    task = asyncio.create_task(first())
    await first_claimed.wait()
    async with pg.transaction() as conn:
        second = [r.id for r in await outbox.due(conn, NOW, limit=10, claim=True)]
    release.set()
    taken = await task
    assert len(taken) == 3 and len(second) == 3 and not set(taken) & set(second)  # no wait, no overlap


def _message(update_id: int, user_id: int) -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 1, "text": "hi",
                                                "from": {"id": user_id, "is_bot": False, "first_name": "x"},
                                                "chat": {"id": user_id, "type": "private"}}}


async def test_a_senders_later_update_waits_for_its_earlier_one_whichever_worker_reads_it(pg):
    await inbox.store(pg, [_message(1, 501), _message(2, 501), _message(3, 502)], NOW)
    holding = asyncio.Event()
    release = asyncio.Event()

    async def worker_a():  # handling update 1 of member 501, slowly
        async with pg.transaction() as conn:
            assert await inbox.take_turn(conn, 1)
            holding.set()
            await release.wait()
            assert await inbox.claim(conn, 1, NOW)

    task = asyncio.create_task(worker_a())
    await holding.wait()
    async with pg.transaction() as conn:
        assert not await inbox.take_turn(conn, 2)  # the same sender's turn is taken
    async with pg.transaction() as conn:
        assert await inbox.take_turn(conn, 3)  # another sender's update goes meanwhile
    release.set()
    await task
    async with pg.transaction() as conn:
        assert await inbox.take_turn(conn, 2)  # its earlier update is done: now it may go


async def test_a_senders_update_waits_while_an_earlier_one_waits_for_a_retry(pg):
    await inbox.store(pg, [_message(11, 601), _message(12, 601)], NOW)
    async with pg.transaction() as conn:
        assert not await inbox.take_turn(conn, 12)  # 11 is still new: 12 must not overtake it
    async with pg.transaction() as conn:
        await conn.execute(update(inbox_table).where(inbox_table.c.update_id == 11).values(status="failed"))
    async with pg.transaction() as conn:
        assert await inbox.take_turn(conn, 12)  # a parked update holds nobody up


async def test_a_notification_at_commit_wakes_the_leaders_sender(pg):
    woken = asyncio.Event()
    lock = LeaderLock(pg.url, on_notify=woken.set)
    try:
        assert await lock.acquire()
        async with pg.transaction() as conn:
            await notify_sender(conn)
            await asyncio.sleep(0.1)
            assert not woken.is_set()  # not before the commit
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        await lock.release()
