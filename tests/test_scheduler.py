"""Timers fire once — across restarts, catch-ups and concurrent wake-ups — and late ones that
are no longer useful are skipped (real SQLite file, real APScheduler)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

from sqlalchemy import select

from bot.clock import Clock
from bot.scheduler import Scheduler
from bot.supervise import Supervisor
from handlers.core.feature import Feature, Registry
from handlers.core.context import HandlerConfig
from storage import timers
from storage.db import Database
from storage.schema import outbox, timers as timers_table
from tests.test_admin import NOW, db  # noqa: F401  (the fixture: a real SQLite file, a fresh PostgreSQL schema)


async def _ping(ctx, timer) -> None:
    await ctx.send(timer.payload["chat_id"], f"ping {timer.key}")


PING = Registry([Feature("test", jobs={"test:ping": _ping})])  # a job of its own, no feature's planners


async def _rig(tmp_path):
    db = Database(str(tmp_path / "timers.db"))
    await db.ensure_schema()
    return db, Clock()


async def _sent(db) -> list[str]:
    async with db.read() as conn:
        return [p["text"] for p in (await conn.execute(select(outbox.c.params))).scalars()]


async def _status(db, key: str) -> str:
    async with db.read() as conn:
        return (await conn.execute(select(timers_table.c.status).where(timers_table.c.key == key))).scalar_one()


async def test_a_timer_fires_once_even_across_a_restart(tmp_path):
    db, clock = await _rig(tmp_path)
    async with db.transaction() as conn:
        await timers.schedule(conn, "ping:1", "test:ping", clock.now() - timedelta(minutes=5), payload={"chat_id": 1})
        await timers.schedule(conn, "ping:1", "test:ping", clock.now(), payload={"chat_id": 1})  # same key: no-op
    first = Scheduler(db, clock, HandlerConfig(), asyncio.Event(), features=PING)
    await first.start()  # catches up on the timer that fell due while nothing ran
    await first.stop()
    second = Scheduler(db, clock, HandlerConfig(), asyncio.Event(), features=PING)
    await second.start()
    assert await second.fire_due() == 0
    await second.stop()
    assert await _sent(db) == ["ping ping:1"]
    await db.close()


async def test_concurrent_wake_ups_fire_a_timer_once(tmp_path):
    db, clock = await _rig(tmp_path)
    async with db.transaction() as conn:
        for n in range(20):
            await timers.schedule(conn, f"ping:{n}", "test:ping", clock.now(), payload={"chat_id": n})
    a = Scheduler(db, clock, HandlerConfig(), asyncio.Event(), features=PING)
    b = Scheduler(db, clock, HandlerConfig(), asyncio.Event(), features=PING)
    ran = await asyncio.gather(a.fire_due(), b.fire_due())
    assert sum(ran) == 20
    assert sorted(await _sent(db)) == sorted(f"ping ping:{n}" for n in range(20))
    await db.close()


async def test_a_late_timer_past_its_use_is_skipped_and_a_future_one_waits(tmp_path):
    db, clock = await _rig(tmp_path)
    now = clock.now()
    async with db.transaction() as conn:
        await timers.schedule(conn, "late", "test:ping", now - timedelta(hours=3), payload={"chat_id": 1},
                              expires_at=now - timedelta(hours=1))
        await timers.schedule(conn, "late-but-useful", "test:ping", now - timedelta(hours=3),
                              payload={"chat_id": 2}, expires_at=now + timedelta(hours=1))
        await timers.schedule(conn, "future", "test:ping", now + timedelta(days=1), payload={"chat_id": 3})
    scheduler = Scheduler(db, clock, HandlerConfig(), asyncio.Event(), features=PING)
    await scheduler.fire_due()
    assert await _sent(db) == ["ping late-but-useful"]
    assert (await _status(db, "late"), await _status(db, "future")) == ("skipped", "pending")
    clock.advance(timedelta(days=1, seconds=1))  # the movable clock of tests and the demo
    await scheduler.fire_due()
    assert await _status(db, "future") == "done"
    await db.close()


async def test_apscheduler_wakes_the_bot_when_a_timer_falls_due(tmp_path):
    db, clock = await _rig(tmp_path)
    scheduler = Scheduler(db, clock, HandlerConfig(), asyncio.Event(), tick_seconds=3600, features=PING)
    await scheduler.start()
    async with db.transaction() as conn:
        for hours in (3, 2):
            await timers.schedule(conn, f"later-{hours}", "test:ping", clock.now() + timedelta(hours=hours),
                                  payload={"chat_id": 1})
        await timers.schedule(conn, "soon", "test:ping", clock.now() + timedelta(seconds=0.5), payload={"chat_id": 1})
    await scheduler.refresh()
    jobs = scheduler.aps.get_jobs()  # one job, at the earliest timer's time, however many wait
    assert len(jobs) == 1 and jobs[0].next_run_time < clock.real_now() + timedelta(seconds=1)
    for _ in range(50):
        if await _sent(db):
            break
        await asyncio.sleep(0.1)
    assert await _sent(db) == ["ping soon"]  # no tick ran: the date job did it
    for _ in range(50):  # the firing commits the send, then plans and moves the job
        if jobs := scheduler.aps.get_jobs():
            break
        await asyncio.sleep(0.1)
    # and then moved to the next timer
    assert len(jobs) == 1 and jobs[0].next_run_time > clock.real_now() + timedelta(hours=1, minutes=59)
    await scheduler.stop()
    await db.close()


async def test_a_failing_tick_is_logged_and_started_again_until_the_timer_fires(tmp_path, caplog):
    db, clock = await _rig(tmp_path)
    scheduler = Scheduler(db, clock, HandlerConfig(), asyncio.Event(), tick_seconds=0.1, features=PING)
    await scheduler.start()
    stop = asyncio.Event()
    supervisor = Supervisor(stop, first_backoff=0.1)
    with sqlite3.connect(tmp_path / "timers.db") as conn:  # taking a timer fails, as on a full disk
        conn.execute("CREATE TRIGGER refuse_timers BEFORE UPDATE ON timers "
                     "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    async with db.transaction() as conn:  # due now; only the tick will find it (no date job)
        await timers.schedule(conn, "late", "test:ping", clock.now(), payload={"chat_id": 1})
    task = supervisor.spawn("scheduler", lambda beat: scheduler.run(stop, on_progress=beat))
    for _ in range(100):
        if supervisor.loops["scheduler"].restarts:
            break
        await asyncio.sleep(0.05)
    failure = next(r for r in caplog.records if r.getMessage().startswith("scheduler failed"))
    assert failure.exc_info and "database or disk is full" in str(failure.exc_info[1])
    with sqlite3.connect(tmp_path / "timers.db") as conn:
        conn.execute("DROP TRIGGER refuse_timers")
    for _ in range(100):
        if await _sent(db):
            break
        await asyncio.sleep(0.05)
    assert await _sent(db) == ["ping late"]
    stop.set()
    await task
    assert supervisor.loops["scheduler"].state == "stopped" and supervisor.gave_up is None
    await scheduler.stop()
    await db.close()


async def test_a_key_prefix_finds_and_cancels_the_pending_timers_whose_keys_start_with_it_and_no_others(db):
    """A prefix is a range of keys in code-point order (an index seek, storage/timers.py): a key
    one character longer, or differing in its last, stays out, on SQLite and PostgreSQL alike."""
    keys = ["deadline:1:answer:0", "deadline:1:answer:1", "deadline:1:claim:0", "deadline:10:answer:0",
            "deadline:1;x", "deadline:2:answer:0"]
    async with db.transaction() as conn:
        for key in keys:
            await timers.schedule(conn, key, "test:ping", NOW)
        await timers.take(conn, "deadline:1:answer:1", "done", NOW)  # fired: no longer pending
    async with db.read() as conn:
        assert [t.key for t in await timers.pending_with_prefix(conn, "deadline:1:")] == [
            "deadline:1:answer:0", "deadline:1:claim:0"]
    async with db.transaction() as conn:
        assert await timers.cancel(conn, "deadline:1:answer:", NOW) == 1
    async with db.read() as conn:
        assert [t.key for t in await timers.pending_with_prefix(conn, "deadline:")] == [
            "deadline:10:answer:0", "deadline:1:claim:0", "deadline:1;x", "deadline:2:answer:0"]  # '0' < ':' < ';'
