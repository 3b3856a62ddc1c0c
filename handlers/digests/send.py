"""The digests' jobs: each writes one outbox row per recipient for its period and skips everyone
whose row exists (once per period). The members' digests (weekly, daily, instant) are ``Chunked``:
the window's news is read once per firing, then each chunk of ``digest_chunk`` members — their
own reports and choices read set-based — is rendered in a read-only snapshot and written (its rows
in one INSERT, and the run's cursor) in a short transaction of its own, so members' updates commit
between chunks and a crash resumes after the last chunk written.
``send_now`` is the command line's way to fill the current period."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from handlers.core.context import Ctx
from handlers.core.scheduled import Chunked
from handlers.core.i18n import translator
from handlers.core.localtime import local_at, local_day
from handlers.digests.news import News, OfficeStats, OwnItems
from handlers.digests.render import office_chart, open_count, render_liaison, render_member, render_office
from handlers.digests.schedule import current_weekly, period_of, row_key
from storage import digests as store
from storage import outbox, people

log = logging.getLogger("linkage.digest")
# Members rendered between yields to the event loop: rendering is CPU in the bot's one loop, so a
# member's update (and the transaction it holds on SQLite) waits at most a slice, not a chunk.
RENDER_SLICE = 20


@dataclass
class Firing:
    """What every chunk of one firing of a members' digest shares, read once."""

    kind: str  # weekly | daily | instant
    due: datetime
    news: News | None  # None: nothing to send (an hour without adoptions)
    daily_news: News | None = None  # the weekly digest's news of the last day, for members who chose daily
    targets: dict = field(default_factory=dict)  # target names for the own reports' latest hops
    created: int = 0  # rows this process wrote in this firing

    @property
    def period(self) -> str:
        return period_of(self.kind, self.due)


async def prepare(ctx: Ctx, kind: str, due: datetime) -> Firing:
    """The news of the digest's window, once for every member (set-based queries)."""
    if kind == "weekly":
        return Firing(kind, due, *await News.week_and_day(ctx.conn, due, ctx.features))
    news = await News.load(ctx.conn, due - (timedelta(days=1) if kind == "daily" else timedelta(hours=1)), due,
                           ctx.features)
    return Firing(kind, due, None if kind == "instant" and not news.adoptions else news)


@dataclass
class Chunk:
    """The next members' digests, rendered, to be written."""

    after: int  # the run's cursor they were read after
    last: int | None  # the last of these members (None: there were none)
    finished: bool  # no member after them
    rows: list[dict] = field(default_factory=list)  # their outbox rows
    created: int = 0  # members with a digest among them


async def _cursor(conn, period: str) -> int:
    run = await store.run(conn, period)
    return (run.cursor or 0) if run is not None else 0


async def read_chunk(ctx: Ctx, firing: Firing) -> Chunk:
    """The next ``digest_chunk`` members after the run's cursor, their own reports and choices read
    set-based, and their digests rendered (a member whose row exists is skipped, so a run started
    again — ``linkage digest send`` — adds nothing)."""
    after, limit = await _cursor(ctx.conn, firing.period), ctx.config.digest_chunk
    if firing.news is None:
        return Chunk(after, None, True)
    batch = await store.recipients(ctx.conn, after=after, limit=limit,
                                   frequency=None if firing.kind == "weekly" else firing.kind)
    ids = [m.id for m in batch]
    chunk = Chunk(after, ids[-1] if ids else None, len(batch) < limit)
    done = await store.queued_keys(ctx.conn, [row_key(firing.period, i) for i in ids])
    prefs = await store.frequencies(ctx.conn, ids)
    own = await OwnItems.load(ctx.conn, ids, firing.news.since, firing.targets) if firing.kind == "weekly" else None
    with ctx.holding() as chunk.rows:
        for index, member in enumerate(batch):
            if index % RENDER_SLICE == 0:
                await asyncio.sleep(0)  # let a member's update in this process go on between slices
            key = row_key(firing.period, member.id)
            if key in done:
                continue
            text = await render_member(ctx.conn, member, kind=firing.kind, due=firing.due, news=firing.news, own=own,
                                       frequency=prefs.get(member.id, store.DEFAULT_FREQUENCY),
                                       daily_news=firing.daily_news)
            if text is not None:
                await ctx.send(member.telegram_user_id, text, key=key, priority=outbox.BULK)
                chunk.created += 1
    return chunk


async def write_chunk(ctx: Ctx, firing: Firing, chunk: Chunk) -> bool:
    """The chunk's rows and the run's cursor, in one short transaction; True when the run is done.
    Nothing is written when the cursor moved since the chunk was read (another process wrote it)."""
    if firing.news is None:
        return True
    if await _cursor(ctx.conn, firing.period) != chunk.after:
        return False
    await outbox.enqueue_many(ctx.conn, chunk.rows)
    await store.advance_run(ctx.conn, firing.period, firing.kind, chunk.created, None if chunk.finished else chunk.last,
                            ctx.now)
    firing.created += chunk.created
    if chunk.finished and firing.kind == "weekly":
        log.info("weekly digest queued", extra={"period": firing.period,
                                                "rows": (await store.run(ctx.conn, firing.period)).recipients})
    return chunk.finished


def _members_job(kind: str) -> Chunked:
    return Chunked(prepare=lambda ctx, timer: prepare(ctx, kind, timer.due_at),
                   read=lambda ctx, timer, firing: read_chunk(ctx, firing),
                   write=lambda ctx, timer, firing, chunk: write_chunk(ctx, firing, chunk))


WEEKLY, DAILY, INSTANT = _members_job("weekly"), _members_job("daily"), _members_job("instant")


async def fire_liaison(ctx: Ctx, timer) -> None:
    await send_liaison(ctx, timer.due_at)


async def fire_office(ctx: Ctx, timer) -> None:
    await send_office(ctx, timer.due_at)


async def send_members(ctx: Ctx, kind: str, due: datetime) -> int:
    """The members' digest of ``kind`` for the period ending at ``due``, every chunk in the
    caller's transaction; returns rows created."""
    firing = await prepare(ctx, kind, due)
    while not await write_chunk(ctx, firing, await read_chunk(ctx, firing)):
        pass
    return firing.created


async def send_liaison(ctx: Ctx, due: datetime) -> int:
    period = period_of("liaison", due)
    by_member = await store.liaison_targets(ctx.conn)
    liaisons = [m for m in await store.recipients(ctx.conn) if m.id in by_member]
    done = await store.queued_keys(ctx.conn, [row_key(period, m.id) for m in liaisons])
    created = 0
    for member in liaisons:
        key = row_key(period, member.id)
        if key in done:
            continue
        text = await render_liaison(ctx.conn, member, ctx.now, ctx.config, by_member[member.id])
        if text is None:
            continue
        await ctx.send(member.telegram_user_id, text, key=key, priority=outbox.BULK)
        created += 1
    await store.record_run(ctx.conn, period, "liaison", created, ctx.now)
    return created


async def send_office(ctx: Ctx, due: datetime) -> int:
    period = period_of("office", due)
    admins = [m for m in await people.admins(ctx.conn) if m.reachable]
    done = await store.queued_keys(ctx.conn, [row_key(period, m.id) for m in admins])
    admins = [m for m in admins if row_key(period, m.id) not in done]
    if not admins:
        return 0
    stats = await OfficeStats.load(ctx.conn, due)
    open_now = await open_count(ctx.conn)
    charts: dict[str, Path] = {}
    for member in admins:
        t = translator(member.language)
        if t.lang not in charts:
            charts[t.lang] = office_chart(stats, ctx.config, due, t.lang)
        await ctx.send(member.telegram_user_id, render_office(stats, t.lang, open_now),
                       key=row_key(period, member.id), priority=outbox.BULK)
        await ctx.call("sendPhoto", {"chat_id": member.telegram_user_id, "photo": {"$file": str(charts[t.lang])},
                                     "caption": t("📊 Reports this week by topic and district ({period})",
                                                  period=stats.period_label()), "parse_mode": "HTML"},
                       chat_id=member.telegram_user_id, key=row_key(period, member.id) + ":chart",
                       priority=outbox.BULK)
    await store.record_run(ctx.conn, period, "office", len(admins), ctx.now)
    return len(admins)


def current_due(kind: str, now: datetime, config) -> datetime:
    """When the current period of ``kind`` fell due (the period ``linkage digest send`` fills)."""
    if kind in ("weekly", "office"):
        return current_weekly(now, config)
    if kind in ("liaison", "daily"):
        return local_at(local_day(now), config.digest_liaison_time if kind == "liaison" else config.digest_time)
    raise ValueError(f"kind must be weekly, daily, liaison or office, not {kind!r}")


async def send_now(ctx: Ctx, kind: str) -> tuple[str, int]:
    """Queue the digest of ``kind`` for the current period now, in the caller's transaction
    (idempotent per period): (period, rows created)."""
    due = current_due(kind, ctx.now, ctx.config)
    if kind in ("weekly", "daily"):
        sent = await send_members(ctx, kind, due)
    else:
        sent = await (send_office(ctx, due) if kind == "office" else send_liaison(ctx, due))
    return period_of(kind, due), sent
