"""``linkage digest preview``: the digest a member would get for the current period, sent to nobody."""

from __future__ import annotations

from pathlib import Path

from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.digests.news import News, OfficeStats, OwnItems
from handlers.digests.render import office_chart, open_count, render_liaison, render_member, render_office
from handlers.digests.schedule import current_weekly
from storage import digests as store


async def preview(ctx: Ctx, member, kind: str = "weekly") -> tuple[str, Path | None]:
    """The digest of ``kind`` the member would get for the current period (with the upcoming
    hooks of ``ctx.features``, as the jobs see them), and the chart's path for the office kind."""
    conn, now, config = ctx.conn, ctx.now, ctx.config
    if kind == "weekly":
        due = current_weekly(now, config)
        news, daily = await News.week_and_day(conn, due, ctx.features)
        text = await render_member(conn, member, kind="weekly", due=due, news=news, daily_news=daily,
                                   own=await OwnItems.load(conn, [member.id], news.since),
                                   frequency=await store.frequency(conn, member.id))
        return text or "", None
    if kind == "liaison":
        targets = (await store.liaison_targets(conn)).get(member.id, [])
        return (await render_liaison(conn, member, now, config, targets) or ""), None
    if kind == "office":
        due = current_weekly(now, config)
        stats = await OfficeStats.load(conn, due)
        lang = translator(member.language).lang
        return render_office(stats, lang, await open_count(conn)), office_chart(stats, config, due, lang)
    raise ValueError(f"kind must be weekly, liaison or office, not {kind!r}")
