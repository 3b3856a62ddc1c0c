"""Work that falls due at a time (reminders, digests, deadline nudges), framework-free.

A feature declares a job for each timer kind (``Feature.jobs``); the bot's scheduler fires
each due timer in its own transaction through ``fire``. A timer fires once: ``take`` marks it
before the job runs, in the same transaction as the job's outbox rows. A timer past its
``expires_at`` (a reminder for a session that has begun) is skipped with a log line.
Recurring work (weekly digests) declares a planner (``Feature.planners``) that makes sure the
next occurrence exists; planners run at start and after every firing.

Work too big for one short transaction (a digest to 100,000 members) is a ``Chunked`` job: the
scheduler reads and renders each chunk in a read-only snapshot, then writes it in a short
transaction of its own (``fire_chunk``), and marks the timer done in the transaction of the last
one. The job keeps where it got to in its own tables, written with each chunk's rows, so a
restart after a crash resumes after the last committed chunk; what every chunk shares is read
once per firing by ``prepare``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from handlers.core.context import Ctx
from storage import timers

log = logging.getLogger("linkage.scheduled")


@dataclass(frozen=True)
class Chunked:
    """A job done in chunks. ``prepare(ctx, timer)`` reads what every chunk shares, once per
    firing; ``read(ctx, timer, prepared)`` reads and renders the next chunk (the scheduler runs
    both in a read-only snapshot that holds up no writer); ``write(ctx, timer, prepared, chunk)``
    writes it in a short transaction and returns True once nothing is left (False also when
    another process wrote that chunk first: the next ``read`` sees how far it got)."""

    prepare: Callable[[Ctx, Any], Awaitable[Any]]
    read: Callable[[Ctx, Any, Any], Awaitable[Any]]
    write: Callable[[Ctx, Any, Any, Any], Awaitable[bool]]

    async def __call__(self, ctx: Ctx, timer) -> None:
        """All the chunks in the caller's one transaction (a direct call, a test)."""
        prepared = await self.prepare(ctx, timer)
        while not await self.write(ctx, timer, prepared, await self.read(ctx, timer, prepared)):
            pass


def chunked(ctx: Ctx, timer) -> Chunked | None:
    job = ctx.features.jobs.get(timer.kind)
    return job if isinstance(job, Chunked) else None


def _expired(ctx: Ctx, timer) -> bool:
    return timer.expires_at is not None and ctx.now >= timer.expires_at


async def _skip(ctx: Ctx, timer) -> str:
    if await timers.take(ctx.conn, timer.key, "skipped", ctx.now, note="late: no longer useful"):
        log.info("timer skipped: fell due while the bot was down and is no longer useful",
                 extra={"timer": timer.key, "due_at": timer.due_at.isoformat()})
        return "skipped"
    return "gone"


def _fired(ctx: Ctx, timer) -> str:
    late = (ctx.now - timer.due_at).total_seconds()
    log.info("timer fired", extra={"timer": timer.key, "late_s": round(late, 1)})
    return "done"


async def fire(ctx: Ctx, timer) -> str:
    """Run one due timer: 'done', 'skipped' (too late to be useful) or 'gone' (already fired)."""
    if _expired(ctx, timer):
        return await _skip(ctx, timer)
    if not await timers.take(ctx.conn, timer.key, "done", ctx.now):
        return "gone"
    await ctx.features.jobs[timer.kind](ctx, timer)
    return _fired(ctx, timer)


async def fire_chunk(ctx: Ctx, timer, prepared, chunk) -> str:
    """Write one chunk of a ``Chunked`` timer's job (read just before): 'more' (read the next and
    call again, in a new transaction), or as ``fire``. The timer's row is locked first
    (PostgreSQL), so a leader that has not yet noticed it lost its lock waits for the new one's
    chunk, and its own write then finds the job's cursor moved."""
    if not await timers.lock_pending(ctx.conn, timer.key):
        return "gone"
    if _expired(ctx, timer):
        return await _skip(ctx, timer)
    if not await chunked(ctx, timer).write(ctx, timer, prepared, chunk):
        return "more"
    await timers.take(ctx.conn, timer.key, "done", ctx.now)
    return _fired(ctx, timer)


async def plan(ctx: Ctx) -> None:
    for planner in ctx.features.planners:
        await planner(ctx)
