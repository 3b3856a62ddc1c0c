"""The digests' jobs: each writes one outbox row per recipient for its period, in the firing's
transaction, and skips everyone whose row exists (once per period); ``send_now`` is the command
line's way to fill the current period."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import local_at, local_day
from handlers.digests.news import News, OfficeStats, OwnItems
from handlers.digests.render import office_chart, open_count, render_liaison, render_member, render_office
from handlers.digests.schedule import current_weekly, period_of, row_key
from storage import digests as store
from storage import outbox, people

log = logging.getLogger("linkage.digest")


async def fire_weekly(ctx: Ctx, timer) -> None:
    await send_weekly(ctx, timer.due_at)


async def fire_daily(ctx: Ctx, timer) -> None:
    await send_news(ctx, "daily", timer.due_at)


async def fire_instant(ctx: Ctx, timer) -> None:
    await send_news(ctx, "instant", timer.due_at)


async def fire_liaison(ctx: Ctx, timer) -> None:
    await send_liaison(ctx, timer.due_at)


async def fire_office(ctx: Ctx, timer) -> None:
    await send_office(ctx, timer.due_at)


async def send_weekly(ctx: Ctx, due: datetime) -> int:
    """Every member's weekly digest for the week ending at ``due``; returns rows created."""
    period = period_of("weekly", due)
    done = await store.queued_keys(ctx.conn, period)
    news, daily_news = await News.week_and_day(ctx.conn, due, ctx.features)
    own = await OwnItems.load(ctx.conn, None, news.since)
    prefs = await store.frequencies(ctx.conn)
    created = 0
    for member in await store.recipients(ctx.conn):
        key = row_key(period, member.id)
        if key in done:
            continue
        text = await render_member(ctx.conn, member, kind="weekly", due=due, news=news, own=own,
                                   frequency=prefs.get(member.id, store.DEFAULT_FREQUENCY), daily_news=daily_news)
        if text is None:
            continue
        await ctx.send(member.telegram_user_id, text, key=key, priority=outbox.BULK)
        created += 1
    await store.record_run(ctx.conn, period, "weekly", created, ctx.now)
    log.info("weekly digest queued", extra={"period": period, "rows": created})
    return created


async def send_news(ctx: Ctx, kind: str, due: datetime) -> int:
    """The daily or instant news to the members who chose it."""
    period = period_of(kind, due)
    done = await store.queued_keys(ctx.conn, period)
    news = await News.load(ctx.conn, due - (timedelta(days=1) if kind == "daily" else timedelta(hours=1)), due,
                           ctx.features)
    if kind == "instant" and not news.adoptions:
        return 0
    prefs = await store.frequencies(ctx.conn)
    created = 0
    for member in await store.recipients(ctx.conn):
        frequency = prefs.get(member.id, store.DEFAULT_FREQUENCY)
        key = row_key(period, member.id)
        if frequency != kind or key in done:
            continue
        text = await render_member(ctx.conn, member, kind=kind, due=due, news=news, own=None, frequency=frequency)
        if text is None:
            continue
        await ctx.send(member.telegram_user_id, text, key=key, priority=outbox.BULK)
        created += 1
    await store.record_run(ctx.conn, period, kind, created, ctx.now)
    return created


async def send_liaison(ctx: Ctx, due: datetime) -> int:
    period = period_of("liaison", due)
    done = await store.queued_keys(ctx.conn, period)
    by_member = await store.liaison_targets(ctx.conn)
    created = 0
    for member in await store.recipients(ctx.conn):
        key = row_key(period, member.id)
        if member.id not in by_member or key in done:
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
    done = await store.queued_keys(ctx.conn, period)
    admins = [m for m in await people.admins(ctx.conn) if m.reachable and row_key(period, m.id) not in done]
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


async def send_now(ctx: Ctx, kind: str) -> tuple[str, int]:
    """Queue the digest of ``kind`` for the current period now (idempotent per period):
    (period, rows created)."""
    config = ctx.config
    if kind in ("weekly", "office"):
        due = current_weekly(ctx.now, config)
        sent = await (send_weekly(ctx, due) if kind == "weekly" else send_office(ctx, due))
    elif kind == "liaison":
        due = local_at(local_day(ctx.now), config.digest_liaison_time)
        sent = await send_liaison(ctx, due)
    elif kind == "daily":
        due = local_at(local_day(ctx.now), config.digest_time)
        sent = await send_news(ctx, "daily", due)
    else:
        raise ValueError(f"kind must be weekly, daily, liaison or office, not {kind!r}")
    return period_of(kind, due), sent
