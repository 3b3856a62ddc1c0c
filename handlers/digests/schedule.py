"""When the digests fall due: the planner that keeps the next occurrence of each digest in the
timers table, and the keys of its timers and outbox rows (times in Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from handlers.core.context import Ctx, HandlerConfig
from handlers.core.localtime import local, local_at, local_day

# How long after its time a digest is still worth sending (a bot down longer skips it).
USEFUL = {"weekly": timedelta(hours=24), "office": timedelta(hours=24), "daily": timedelta(hours=12),
          "instant": timedelta(hours=1), "liaison": timedelta(hours=10)}


def next_weekly(now: datetime, config: HandlerConfig) -> datetime:
    """The first weekly digest time strictly after ``now``."""
    day = local_day(now)
    for offset in range(8):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() == config.digest_weekday and local_at(candidate, config.digest_time) > now:
            return local_at(candidate, config.digest_time)
    raise AssertionError("unreachable")


def current_weekly(now: datetime, config: HandlerConfig) -> datetime:
    """The latest weekly digest time at or before ``now`` (the period ``digest send`` fills)."""
    return next_weekly(now, config) - timedelta(days=7)


async def _working_day(conn, day: date) -> bool:
    try:
        from storage import calendar as calendar_store
        return (await calendar_store.load(conn)).is_working_day(day)
    except Exception:  # no calendar table (yet): Monday–Friday
        return day.weekday() < 5


async def next_liaison(conn, now: datetime, config: HandlerConfig) -> datetime:
    day = local_day(now)
    for offset in range(40):
        candidate = day + timedelta(days=offset)
        due = local_at(candidate, config.digest_liaison_time)
        if due > now and await _working_day(conn, candidate):
            return due
    return local_at(day + timedelta(days=1), config.digest_liaison_time)


def next_daily(now: datetime, config: HandlerConfig) -> datetime:
    """The next daily time strictly after ``now`` that is not the weekly digest's day."""
    day = local_day(now)
    for offset in range(3):
        candidate = day + timedelta(days=offset)
        due = local_at(candidate, config.digest_time)
        if due > now and candidate.weekday() != config.digest_weekday:
            return due
    raise AssertionError("unreachable")


def next_hour(now: datetime) -> datetime:
    return now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def timer_key(kind: str, due: datetime) -> str:
    at = local(due)
    return f"digest:{kind}:{at:%Y-%m-%dT%H}" if kind == "instant" else f"digest:{kind}:{at:%Y-%m-%d}"


def period_of(kind: str, due: datetime) -> str:
    """'weekly:2026-06-15' — the part of the timer key after 'digest:'."""
    return timer_key(kind, due).removeprefix("digest:")


def row_key(period: str, member_id: int) -> str:
    return f"digest:{period}:{member_id}"


async def plan_digests(ctx: Ctx) -> None:
    """Make sure the next occurrence of every digest has its timer, and so does one whose time
    has passed while it is still worth sending: a bot down across a digest's time and back a
    minute later still sends it (the first occurrence after ``now - USEFUL`` is that one)."""
    for kind in USEFUL:
        for due in {await _next(ctx, kind, ctx.now - USEFUL[kind]), await _next(ctx, kind, ctx.now)}:
            await ctx.schedule(timer_key(kind, due), f"digest_{kind}", due, expires_at=due + USEFUL[kind])


async def _next(ctx: Ctx, kind: str, after: datetime) -> datetime:
    """The first time of this digest strictly after ``after``."""
    if kind in ("weekly", "office"):
        return next_weekly(after, ctx.config)
    if kind == "daily":
        return next_daily(after, ctx.config)
    if kind == "instant":
        return next_hour(after)
    return await next_liaison(ctx.conn, after, ctx.config)
