"""Work that falls due at a time (reminders, digests, deadline nudges), framework-free.

A feature declares a job for each timer kind (``Feature.jobs``); the bot's scheduler fires
each due timer in its own transaction through ``fire``. A timer fires once: ``take`` marks it
before the job runs, in the same transaction as the job's outbox rows. A timer past its
``expires_at`` (a reminder for a session that has begun) is skipped with a log line.
Recurring work (weekly digests) declares a planner (``Feature.planners``) that makes sure the
next occurrence exists; planners run at start and after every firing.
"""

from __future__ import annotations

import logging
from handlers.core.context import Ctx
from storage import timers

log = logging.getLogger("linkage.scheduled")


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
    await ctx.features.jobs[timer.kind](ctx, timer)
    late = (ctx.now - timer.due_at).total_seconds()
    log.info("timer fired", extra={"timer": timer.key, "late_s": round(late, 1)})
    return "done"


async def plan(ctx: Ctx) -> None:
    for planner in ctx.features.planners:
        await planner(ctx)
