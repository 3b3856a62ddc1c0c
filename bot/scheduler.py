"""The scheduler: APScheduler wakes the bot when timers fall due; the database says what is due.

APScheduler holds one date job, at the earliest pending timer's time (``refresh``: after every
firing and whenever an update added timers, one indexed look however many timers wait), with
``misfire_grace_time=None``: APScheduler 3's default would silently drop anything more than a
second late. The safety tick is ``run``, a supervised loop (a failing date job is only
logged by APScheduler; the next tick fires what it missed). Each firing goes through
``handlers.core.scheduled.fire``, which runs a timer once however often it is woken (tick, date
job, catch-up after a restart); a ``Chunked`` job's chunks each through ``fire_chunk``. The
leader's scheduler also writes the drafts its sender asks for (``write_drafts``), in the same kind
of context as a timer's job.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timezone
from typing import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.supervise import sleep_unless_stopped
from handlers.core import drafts, scheduled
from handlers.core.context import Ctx, HandlerConfig
from handlers.core.feature import Registry
from handlers.features import REGISTRY
from storage import inbox, timers
from storage.db import Database

log = logging.getLogger("linkage.scheduler")
NEXT_TIMER = "next-timer"  # the APScheduler job's id
MEMBERS_FIRST = 1.0  # seconds a chunked firing may wait between chunks for members' updates


class Scheduler:
    def __init__(self, db: Database, clock: Clock, config: HandlerConfig, on_sent: asyncio.Event,
                 *, tick_seconds: float = 30, features: Registry = REGISTRY):
        self.db, self.clock, self.config, self.on_sent = db, clock, config, on_sent
        self.features = features  # whose jobs and planners run
        self.tick_seconds = tick_seconds
        self.aps = AsyncIOScheduler(timezone=timezone.utc, job_defaults={
            "misfire_grace_time": None, "coalesce": True, "max_instances": 1})
        self._firing = asyncio.Lock()
        self.fired = {"done": 0, "skipped": 0, "gone": 0, "paused": 0}
        self._stopping = False  # a chunked firing stops between chunks (the next leader resumes it)
        self.on_chunk: Callable[[], None] = lambda: None  # told after each chunk: it may have queued drafts

    async def start(self) -> None:
        await self.in_transaction(scheduled.plan)
        self.aps.start()  # inside the running loop, as APScheduler 3.11 requires
        await self.refresh()
        await self.fire_due()  # catch up on what fell due while the bot was down

    async def run(self, stop: asyncio.Event, on_progress: Callable[[], None] = lambda: None) -> None:
        """The safety tick: fire whatever is due every ``tick_seconds``."""
        on_progress()
        while not stop.is_set():
            await sleep_unless_stopped(stop, self.tick_seconds)
            if not stop.is_set():
                await self.fire_due()
                on_progress()

    async def refresh(self) -> None:
        """The date job at the earliest pending timer's time, on the real clock."""
        async with self.db.read() as conn:
            due = await timers.next_due(conn)
        if due is not None:
            run_date = due - (self.clock.now() - self.clock.real_now())
            self.aps.add_job(self.fire_due, "date", run_date=run_date, id=NEXT_TIMER, replace_existing=True)

    async def fire_due(self) -> int:
        """Fire every due timer, each in its own transaction; returns how many ran."""
        ran = 0
        async with self._firing:
            while True:
                async with self.db.read() as conn:
                    batch = await timers.due(conn, self.clock.now())
                if not batch or self._stopping:
                    break
                for timer in batch:
                    if isinstance(self.features.jobs.get(timer.kind), scheduled.Chunked):
                        outcome = await self._fire_in_chunks(timer)
                    else:
                        outcome = await self.in_transaction(lambda ctx, t=timer: scheduled.fire(ctx, t))
                    self.fired[outcome] += 1
                    ran += outcome == "done"
                await self.in_transaction(scheduled.plan)
        if ran:
            self.on_sent.set()
        await self.refresh()
        return ran

    async def _fire_in_chunks(self, timer) -> str:
        """A chunked job: what its chunks share read once, each chunk read and rendered in a
        snapshot that holds up no writer, then written in a short transaction of its own, members'
        updates committing between."""
        job = self.features.jobs[timer.kind]
        log.info("timer firing in chunks", extra={"timer": timer.key})
        prepared = await self.in_snapshot(lambda ctx: job.prepare(ctx, timer))
        while True:
            chunk = await self.in_snapshot(lambda ctx: job.read(ctx, timer, prepared))
            outcome = await self.in_transaction(lambda ctx: scheduled.fire_chunk(ctx, timer, prepared, chunk))
            self.on_chunk()
            if outcome != "more":
                return outcome
            if self._stopping:
                return "paused"
            await self._members_first()

    async def _members_first(self) -> None:
        """Between two chunks: while members' updates wait in the inbox, leave the loop and the
        database to the dispatcher (for at most ``MEMBERS_FIRST`` seconds), so a digest to 100,000
        members slows itself down rather than the members' answers."""
        deadline = time.monotonic() + MEMBERS_FIRST
        while True:
            await asyncio.sleep(0)  # the write lock is fair: a waiting update goes before the next chunk
            async with self.db.snapshot() as conn:
                if not await inbox.any_waiting(conn) or time.monotonic() >= deadline:
                    return
            await asyncio.sleep(0.01)

    async def write_drafts(self, limit: int) -> int:
        """The sender's next drafts (at most ``limit``), written by the features that queued them:
        what they share read in a snapshot, then written in one short transaction; returns how many
        (handlers/core/drafts.py)."""
        await self.in_snapshot(lambda ctx: drafts.prepare(ctx, limit))
        return await self.in_transaction(lambda ctx: drafts.write(ctx, limit))

    async def in_snapshot(self, work):
        async with self.db.snapshot() as conn:
            return await work(Ctx.offline(conn, self.clock.now(), self.config, self.features))

    async def in_transaction(self, work):
        """Run ``work(ctx)`` in one transaction with a system context (no incoming update)."""
        async with self.db.transaction() as conn:
            ctx = Ctx.offline(conn, self.clock.now(), self.config, self.features)
            return await work(ctx)

    async def stop(self) -> None:
        self._stopping = True
        async with self._firing:  # let a firing in progress finish (a chunked one, its chunk)
            self.aps.shutdown(wait=False)
