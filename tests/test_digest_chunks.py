"""The members' weekly digest in chunks: each chunk of ``digest_chunk`` members is written in a
transaction of its own, and a firing interrupted between chunks — in this process, or by SIGKILL
of ``linkage run`` — resumes after the last chunk written: every member gets exactly one row."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import select

from bot.bench.broadcast import BroadcastRig
from bot.bench.process import BotProcess
from bot.clock import Clock
from bot.scheduler import Scheduler
from handlers.core import scheduled
from handlers.core.context import HandlerConfig
from handlers.digests import schedule
from handlers.features import REGISTRY
from seeds.loader import load_seeds
from storage import digests as store
from storage import timers
from storage.db import Database, insert_rows
from storage.schema import members, outbox
from tests.conftest import fresh_postgres_database

MEMBERS = 23
CHUNK = 5  # five chunks: 5 + 5 + 5 + 5 + 3


async def _digest_rows(db: Database, period: str) -> list:
    async with db.read() as conn:
        return list(await conn.execute(select(outbox.c.key, outbox.c.chat_id, outbox.c.created_at)
                                       .where(outbox.c.key.like(f"digest:{period}:%"))))


@pytest.fixture(params=["sqlite", "postgres"])
async def rig(tmp_path, request):
    """A seeded database (a SQLite file, or PostgreSQL's), MEMBERS members bound to Telegram, the
    weekly digest's timer due."""
    async with AsyncExitStack() as stack:
        url = str(tmp_path / "linkage.db") if request.param == "sqlite" else \
            await stack.enter_async_context(fresh_postgres_database())
        db = Database(url)
        stack.push_async_callback(db.close)
        yield await _seeded(db)


async def _seeded(db: Database):
    clock = Clock()
    await db.ensure_schema()
    await load_seeds(db, clock.now(), roster=False)
    config = HandlerConfig(quiet_hours="", digest_chunk=CHUNK)
    due = schedule.current_weekly(clock.now(), config)
    async with db.transaction() as conn:
        await insert_rows(conn, members, [
            {"id": i, "roster_id": f"K{i:03d}", "name": f"委员{i:03d}", "level": "city", "role": "member",
             "language": "zh", "telegram_user_id": 7_000_000 + i, "reachable": True, "active": True,
             "created_at": clock.now()} for i in range(1, MEMBERS + 1)])
        await timers.schedule(conn, schedule.timer_key("weekly", due), "digest_weekly", due)
    return db, Scheduler(db, clock, config, asyncio.Event(), features=REGISTRY), schedule.period_of("weekly", due)


async def test_the_weekly_digest_is_written_in_chunks_each_in_a_transaction_of_its_own(rig):
    db, scheduler, period = rig
    assert await scheduler.fire_due() == 1
    rows = await _digest_rows(db, period)
    assert sorted(r.chat_id for r in rows) == [7_000_000 + i for i in range(1, MEMBERS + 1)]
    # each chunk's rows carry its own transaction's time
    assert len({r.created_at for r in rows}) == -(-MEMBERS // CHUNK)
    async with db.read() as conn:
        run = await store.run(conn, period)
        timer = (await timers.due(conn, scheduler.clock.now(), limit=1000))
    assert (run.recipients, run.cursor) == (MEMBERS, None)  # finished: no cursor left
    assert not [t for t in timer if t.kind == "digest_weekly"]  # marked done with the last chunk
    assert await scheduler.fire_due() == 0  # once per period


async def test_a_firing_interrupted_between_chunks_resumes_where_it_stopped(rig):
    db, scheduler, period = rig
    async with db.read() as conn:
        timer = next(t for t in await timers.due(conn, scheduler.clock.now()) if t.kind == "digest_weekly")
    job = REGISTRY.jobs["digest_weekly"]
    prepared = await scheduler.in_snapshot(lambda ctx: job.prepare(ctx, timer))
    for _ in range(2):  # two chunks committed, as the scheduler writes them
        chunk = await scheduler.in_snapshot(lambda ctx: job.read(ctx, timer, prepared))
        assert await scheduler.in_transaction(lambda ctx: scheduled.fire_chunk(ctx, timer, prepared, chunk)) == "more"
    chunk = await scheduler.in_snapshot(lambda ctx: job.read(ctx, timer, prepared))
    with pytest.raises(RuntimeError):  # the third is interrupted inside its transaction: rolled back
        async def crash(ctx):
            await scheduled.fire_chunk(ctx, timer, prepared, chunk)
            raise RuntimeError("the process dies before the commit")
        await scheduler.in_transaction(crash)
    written = await _digest_rows(db, period)
    assert len(written) == 2 * CHUNK
    async with db.read() as conn:
        run = await store.run(conn, period)
    assert (run.recipients, run.cursor) == (2 * CHUNK, max(int(r.key.rsplit(":", 1)[1]) for r in written))

    # a new process: its scheduler finds the timer still pending and resumes after the cursor
    restarted = Scheduler(db, Clock(), scheduler.config, asyncio.Event(), features=REGISTRY)
    assert await restarted.fire_due() == 1
    rows = await _digest_rows(db, period)
    assert sorted(r.chat_id for r in rows) == [7_000_000 + i for i in range(1, MEMBERS + 1)]  # each once
    assert {r.key: r.created_at for r in rows if r.key in {w.key for w in written}} == \
        {w.key: w.created_at for w in written}  # the first chunks were not written again
    async with db.read() as conn:
        assert (await store.run(conn, period)).recipients == MEMBERS


class ChunkedRig(BroadcastRig):
    """The broadcast bench's rig with small digest chunks, so a kill lands between two of them."""

    def env(self) -> dict:
        return {**super().env(), "LINKAGE_DIGEST_CHUNK": "10"}

    def run_row(self) -> tuple | None:
        found = self._read("SELECT recipients, cursor FROM digest_runs WHERE period = ?", self.period)
        return found[0] if found else None


@pytest.mark.long
async def test_sigkill_between_digest_chunks_resumes_and_each_member_gets_one_row(tmp_path):
    rig = ChunkedRig(tmp_path, 2000)
    try:
        await rig.setup()
        rig.bot = BotProcess(rig.env(), rig.workdir)
        await rig.bot.start()  # its scheduler fires the digest's timer as it starts
        deadline = asyncio.get_running_loop().time() + 60
        while (row := rig.run_row()) is None or row[1] is None or row[0] < 200:
            assert row is None or row[1] is not None, "the digest finished before the kill"
            assert asyncio.get_running_loop().time() < deadline, "no chunk was written within 60 s"
            await asyncio.sleep(0.005)
        await rig.bot.kill()  # SIGKILL
        at_kill = rig.run_row()
        queued_at_kill = sum((await rig.rows()).values())
        assert at_kill[1] is not None and queued_at_kill == at_kill[0] < 2000  # killed between chunks

        await rig.bot.start()  # the same database: the timer is still pending
        assert await rig.wait_rows() == 2000
        chats = rig._read("SELECT chat_id, count(*) FROM outbox WHERE key LIKE ? GROUP BY chat_id",
                          f"digest:{rig.period}:%")
        assert len(chats) == 2000 and {count for _, count in chats} == {1}  # none skipped, none twice
        assert rig.run_row() == (2000, None)
        log = rig.bot.log_file.read_text(encoding="utf-8")
        assert log.count("timer firing in chunks") == 2  # the firing, and its resumption
        assert log.count("weekly digest queued") == 1
    finally:
        await rig.close()

