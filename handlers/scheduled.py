"""Work that falls due at a time (reminders, digests, deadline nudges), framework-free.

A feature registers a job for a timer kind with ``@job("kind")``; the bot's scheduler fires
each due timer in its own transaction through ``fire``. A timer fires once: ``take`` marks it
before the job runs, in the same transaction as the job's outbox rows. A timer past its
``expires_at`` (a reminder for a session that has begun) is skipped with a log line.
Recurring work (weekly digests) registers a planner with ``@recurring`` that makes sure the
next occurrence exists; planners run at start and after every firing.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from handlers.context import Ctx
from storage import timers

log = logging.getLogger("linkage.scheduled")

Job = Callable[[Ctx, object], Awaitable[None]]
Planner = Callable[[Ctx], Awaitable[None]]
JOBS: dict[str, Job] = {}
PLANNERS: list[Planner] = []


def job(kind: str) -> Callable[[Job], Job]:
    def register(fn: Job) -> Job:
        JOBS[kind] = fn
        return fn
    return register


def recurring(fn: Planner) -> Planner:
    PLANNERS.append(fn)
    return fn


async def fire(ctx: Ctx, timer) -> str:
    """Run one due timer: 'done', 'skipped' (too late to be useful) or 'gone' (already fired)."""
    if timer.expires_at is not None and ctx.now >= timer.expires_at:
        if await timers.take(ctx.conn, timer.key, "skipped", ctx.now, note="late: no longer useful"):
            log.info("timer skipped: fell due while the bot was down and is no longer useful",
                     extra={"timer": timer.key, "due_at": timer.due_at.isoformat()})
            return "skipped"
        return "gone"
    if not await timers.take(ctx.conn, timer.key, "done", ctx.now):
        return "gone"
    await JOBS[timer.kind](ctx, timer)
    late = (ctx.now - timer.due_at).total_seconds()
    log.info("timer fired", extra={"timer": timer.key, "late_s": round(late, 1)})
    return "done"


async def plan(ctx: Ctx) -> None:
    for planner in PLANNERS:
        await planner(ctx)
