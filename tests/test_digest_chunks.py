"""The members' weekly digest in chunks: each chunk of ``digest_chunk`` members is written in a
transaction of its own, and a firing interrupted between chunks — in this process, or by SIGKILL
of ``linkage run`` — resumes after the last chunk written: every member gets exactly one row."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import select

from bot.bench.broadcast import BroadcastRig
from bot.bench.process import BotProcess
from bot.clock import Clock
from bot.sandbox import SandboxServer
from bot.scheduler import Scheduler
from bot.sender import Sender
from handlers.core import drafts as drafts_core
from handlers.core import scheduled
from handlers.core.context import Ctx, HandlerConfig
from handlers.core.feature import DraftWriter, Feature, Registry
from handlers.digests import schedule
from handlers.features import REGISTRY
from seeds.loader import load_seeds
from storage import digests as store
from storage import outbox, timers
from storage.db import Database, insert_rows
from storage.schema import members
from storage.schema import outbox as outbox_table
from tests.conftest import fresh_postgres_database
from tests.fast import InProcessApi

MEMBERS = 23
TOKEN = "6200000007:digest-chunks"
CHUNK = 5  # five chunks: 5 + 5 + 5 + 5 + 3


async def _digest_rows(db: Database, period: str) -> list:
    async with db.read() as conn:
        return list(await conn.execute(select(outbox_table.c.key, outbox_table.c.chat_id, outbox_table.c.created_at)
                                       .where(outbox_table.c.key.like(f"digest:{period}:%"))))


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
    assert await scheduler.fire_due() >= 1  # the weekly digest, and this hour's instant one planned after it
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
    assert await restarted.fire_due() >= 1  # the weekly digest (and this hour's instant one)
    rows = await _digest_rows(db, period)
    assert sorted(r.chat_id for r in rows) == [7_000_000 + i for i in range(1, MEMBERS + 1)]  # each once
    assert {r.key: r.created_at for r in rows if r.key in {w.key for w in written}} == \
        {w.key: w.created_at for w in written}  # the first chunks were not written again
    async with db.read() as conn:
        assert (await store.run(conn, period)).recipients == MEMBERS


async def test_the_digest_is_drafts_until_the_sender_writes_each_just_before_it_goes(rig):
    """Firing queues one small draft per member; the sender has them written a few seconds of
    sending ahead, each rendered then: a member who left meanwhile gets nothing."""
    db, scheduler, period = rig
    assert await scheduler.fire_due() >= 1  # the weekly digest, and this hour's instant one planned after it
    async with db.read() as conn:
        drafts = list(await conn.execute(select(outbox_table.c.status, outbox_table.c.params)
                                         .where(outbox_table.c.key.like(f"digest:{period}:%"))))
    assert len(drafts) == MEMBERS and {d.status for d in drafts} == {"draft"}
    assert all(d.params["draft"] == "digest" and "text" not in d.params for d in drafts)
    async with db.transaction() as conn:  # a member leaves after the digest fired, before it is written
        await conn.execute(members.update().where(members.c.id == 3).values(active=False))

    server = SandboxServer()
    bot = server.world.bot(TOKEN)
    for i in range(1, MEMBERS + 1):
        server.world.new_user(f"委员{i:03d}", id=7_000_000 + i).started.add(bot.id)
    sender = Sender(db, InProcessApi(server, TOKEN), scheduler.clock, per_second=5,
                    write_drafts=scheduler.write_drafts)
    await sender.step()  # the first look writes drafts_ahead of them (two seconds at 5/s), no more
    statuses = await _statuses(db, period)
    assert sender.drafts_ahead == 10 and statuses["draft"] == MEMBERS - 10
    assert await sender.drain(timeout=30)
    statuses = await _statuses(db, period)
    assert (statuses["sent"], statuses["cancelled"]) == (MEMBERS - 1, 1)
    for i in range(1, MEMBERS + 1):
        texts = [m.text for m in server.world.private_chat(bot, server.world.users[7_000_000 + i]).messages.values()]
        assert [t.split(" · ")[0] for t in texts] == ([] if i == 3 else ["📰 每周动态"]), i


async def _statuses(db: Database, period: str) -> Counter:
    async with db.read() as conn:
        return Counter((await conn.execute(select(outbox_table.c.status)
                                           .where(outbox_table.c.key.like(f"digest:{period}:%")))).scalars())


async def test_a_draft_becomes_its_messages_or_is_cancelled_or_fails_alone(tmp_path):
    """The drafts' core: a draft's row becomes its first message (keeping its key and place), more
    parts follow; nothing to say cancels it; a draft its writer left out, or whose writer no
    feature declares, fails — and the others still go."""
    db = Database(str(tmp_path / "drafts.db"))
    await db.ensure_schema()
    now = Clock().now()

    async def write(ctx, drafts):
        by_member = {d.params["n"]: d.id for d in drafts}
        written = {by_member[2]: []}  # nothing to say; 3 is left out: it could not be written
        with ctx.holding() as written[by_member[1]]:
            await ctx.send(101, "第一部分\n" + "长" * 4096)  # over Telegram's limit: two messages
        return written

    features = Registry([Feature(name="test", drafts={"test": DraftWriter(write=write)})])
    async with db.transaction() as conn:
        await outbox.enqueue_many(conn, [
            outbox.row(method="sendMessage", params={"draft": name, "n": n}, chat_id=100 + n, key=f"d:{n}", now=now,
                       priority=outbox.BULK, status=outbox.DRAFT) for name, n in (("test", 1), ("test", 2), ("test", 3),
                                                                                  ("gone", 4))])
    async with db.transaction() as conn:
        assert await drafts_core.write(Ctx.offline(conn, now, HandlerConfig(quiet_hours=""), features), 10) == 4
    async with db.read() as conn:
        rows = list(await conn.execute(select(outbox_table.c.key, outbox_table.c.status, outbox_table.c.params)
                                       .order_by(outbox_table.c.id)))
    assert [(r.key, r.status) for r in rows] == [("d:1", "pending"), ("d:2", "cancelled"), ("d:3", "failed"),
                                                 ("d:4", "failed"), (None, "pending")]
    assert rows[0].params["text"] == "第一部分" and rows[-1].params["text"] == "长" * 4096
    await db.close()


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
        deadline = asyncio.get_running_loop().time() + 30  # the last rows are in: the run's end comes next
        while (rig.run_row() != (2000, None) or "weekly digest queued" not in rig.bot.log_file.read_text(
                encoding="utf-8")) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        assert rig.run_row() == (2000, None)
        log = rig.bot.log_file.read_text(encoding="utf-8")
        # the firing, and its resumption (the hour's instant digest fires in chunks too)
        assert log.count(f"timer firing in chunks timer=digest:{rig.period}") == 2
        assert log.count("weekly digest queued") == 1
    finally:
        await rig.close()

