"""The digests' texts: a member's (weekly, daily, instant), a liaison's queue and the office's
weekly statistics, with the office's chart. Rendering reads; it never sends."""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta
from pathlib import Path

from handlers.core.context import HandlerConfig
from handlers.core.i18n import N_, Html, translator
from handlers.core.localtime import local_day, shown
from handlers.digests.news import News, OfficeStats, OwnItems
from handlers.reports import chain, lifecycle
from storage import digests as store
from storage import items as item_store
from storage import reference
from storage import targets as target_store

log = logging.getLogger("linkage.digest")

HIGHLIGHTS = 3  # adopted highlights per topic and per district
UPCOMING_DAYS = 14  # how far ahead the weekly digest looks for sessions (the daily: 2 days)
FREQUENCY_LABELS = {"instant": N_("Instant (as it happens)"), "daily": N_("Daily"), "weekly": N_("Weekly"),
                    "off": N_("Off")}


# --- the news ---------------------------------------------------------------------------------

def _topic_order(news: News, codes) -> list[str]:
    return sorted(codes, key=lambda c: (getattr(news.topics.get(c), "position", 999), c))


def _number_lines(news: News, table: dict[str, dict[str, int]], t) -> list[str]:
    lines = []
    for code in _topic_order(news, table):
        row = table[code]
        topic = news.topics.get(code)
        lines.append("· " + t("{topic}: {new} new · {answered} answered · {adopted} adopted",
                              topic=reference.name(topic, t.lang) if topic else code, **row))
    return lines


def _highlight(news: News, item, t) -> str:
    """A code and title, with the author's name only when the report is named, and where its
    outcome chain went after the adoption."""
    if item.privacy == "named":
        text = t("{code} (by {name})", code=lifecycle.titled(item), name=item.author_name)
    else:
        text = html.escape(lifecycle.titled(item))
    steps = news.chains.get(item.id, [])
    if len(steps) > 1:  # under "Adopted", the adoption alone says nothing new
        text = t("{item} (outcome: {chain})", item=Html(text), chain=chain.chain_text(steps, t.lang))
    return text


def _highlight_lines(news: News, member, t) -> list[str]:
    per_topic: dict[str, list] = {}
    for item in news.adoptions:
        per_topic.setdefault(item.topic_code, [])
        if len(per_topic[item.topic_code]) < HIGHLIGHTS:
            per_topic[item.topic_code].append(item)
    lines = []
    for code in _topic_order(news, per_topic):
        topic = news.topics.get(code)
        lines.append("· " + t("{place}: {reports}", place=reference.name(topic, t.lang) if topic else code,
                              reports=Html("、".join(_highlight(news, i, t) for i in per_topic[code]))))
    if member.district_code:
        mine = [i for i in news.adoptions if i.district_code == member.district_code][:HIGHLIGHTS]
        district = news.districts.get(member.district_code)
        if mine and district is not None:
            lines.append("· " + t("{place}: {reports}", place=reference.name(district, t.lang), reports=Html("、".join(
                _highlight(news, i, t) + " · " + html.escape(reference.name(news.topics[i.topic_code], t.lang)
                                                       if i.topic_code in news.topics else i.topic_code)
                for i in mine))))
    return lines


def _shared_lines(news: News, member, t, period_label: str) -> list[str]:
    """The city's and the member's district's numbers and the highlights: the same for every
    member of one language and district."""
    lines: list[str] = []
    if news.city:
        lines += ["", t("<b>Tianjin, {period}</b> (new · answered · adopted)", period=period_label),
                  *_number_lines(news, news.city, t)]
    if member.district_code and member.district_code in news.districts:
        mine = news.by_district.get(member.district_code)
        if mine:
            lines += ["", t("<b>{district}, {period}</b> (new · answered · adopted)", district=reference.name(
                news.districts[member.district_code], t.lang), period=period_label), *_number_lines(news, mine, t)]
    highlights = _highlight_lines(news, member, t)
    if highlights:
        lines += ["", t("<b>Adopted (采用)</b>"), *highlights]
    return lines


async def news_lines(conn, news: News, member, t, *, period_label: str, upcoming_days: int) -> list[str]:
    """The parts of a digest that are not about the member's own reports (empty: nothing new)."""
    shared = (t.lang, member.district_code, period_label)
    if shared not in news.rendered:
        news.rendered[shared] = _shared_lines(news, member, t, period_label)
    lines = list(news.rendered[shared])
    lines += await _hook_lines(news.recent, conn, member, news.since, news.until, t.lang, news.cache)
    sessions = await _hook_lines(news.upcoming, conn, member, news.until,
                                 news.until + timedelta(days=upcoming_days), t.lang, news.cache)
    if sessions:
        lines += ["", t("<b>Coming up</b>"), *sessions]
    return lines


async def _hook_lines(hooks, conn, member, start: datetime, end: datetime, lang: str, cache: dict) -> list[str]:
    """The features' lines for a window of the digest."""
    lines: list[str] = []
    for hook in hooks:
        try:
            lines += await hook(conn, member, start, end, lang, cache)
        except Exception:  # a broken hook must not stop the digest of thousands
            log.exception("digest hook failed", extra={"hook": getattr(hook, "__name__", "?")})
    return lines


# --- the member's own reports -------------------------------------------------------------------

async def own_lines(conn, own: OwnItems, member, t) -> list[str]:
    mine = own.items.get(member.id, [])
    open_ = [i for i in mine if i.status in item_store.OPEN]
    done = [i for i in mine if i.status not in item_store.OPEN]
    if not mine:
        return []
    lines = ["", t("<b>Your reports</b>")]
    for item in open_:
        lines.append(f"<b>{lifecycle.titled(item)}</b> · " + lifecycle.status_label(item.status, t.lang))
        event = own.events.get(item.id)
        if event is not None:
            lines.append("   " + await _hop(conn, own, event, t))
    if done:
        lines.append(t("Closed or decided this week:"))
        for item in done:
            lines.append(f"<b>{lifecycle.titled(item)}</b> · " + lifecycle.status_label(item.status, t.lang))
            if own.chains.get(item.id):
                lines.append("   " + t("Outcome (办理结果): {chain}", chain=chain.chain_text(own.chains[item.id], t.lang)))
    return lines


async def _hop(conn, own: OwnItems, event, t) -> str:
    where = ""
    if event.to_target_id:
        if event.to_target_id not in own.targets:
            target = await target_store.by_id(conn, event.to_target_id)
            own.targets[event.to_target_id] = {"zh": reference.name(target, "zh"),
                                               "en": reference.name(target, "en")} if target else {}
        where = own.targets[event.to_target_id].get(t.lang, "")
    when = shown(event.created_at)
    return f"{when} " + t(lifecycle.EVENT_LABELS.get(event.kind, event.kind), where=where)


# --- a member's digest --------------------------------------------------------------------------

def _footer(t, frequency: str) -> str:
    return t("/settings — how often you get the news (now: {choice})", choice=t.plain(FREQUENCY_LABELS[frequency]))


async def render_member(conn, member, *, kind: str, due: datetime, frequency: str, news: News,
                        own: OwnItems | None, daily_news: News | None = None) -> str | None:
    """One member's digest of ``kind`` (weekly | daily | instant), or None when it has nothing."""
    t = translator(member.language)
    day = local_day(due).strftime("%Y-%m-%d")
    if kind == "weekly":
        lines = [t("📰 <b>Weekly digest</b> · {date}", date=day)]
        mine = await own_lines(conn, own, member, t) if own is not None else []
        if frequency == "weekly":
            lines += mine or ["", t("You have no open reports. /submit starts one.")]
            news_part = await news_lines(conn, news, member, t, period_label=t("this week"),
                                         upcoming_days=UPCOMING_DAYS)
            lines += news_part or ["", t("A quiet week: no new reports in the city.")]
        else:
            extra = []
            if frequency == "daily" and daily_news is not None:
                extra = await news_lines(conn, daily_news, member, t, period_label=t("the last day"),
                                         upcoming_days=2)
            if not mine and not extra:
                return None
            lines += mine + extra
    elif kind == "daily":
        body = await news_lines(conn, news, member, t, period_label=t("the last day"), upcoming_days=2)
        if not body:
            return None
        lines = [t("📰 <b>Daily news</b> · {date}", date=day), *body]
    else:  # instant: adoptions only
        highlights = _highlight_lines(news, member, t)
        if not highlights:
            return None
        lines = [t("📣 <b>Just adopted (采用)</b>"), *highlights]
    lines += ["", _footer(t, frequency)]
    return "\n".join(lines)


# --- a liaison's daily queue ----------------------------------------------------------------------

async def _overdue(conn, item, config: HandlerConfig, now: datetime) -> bool:
    try:
        from handlers.reports import deadlines
    except ImportError:  # without the deadline engine: a day to claim, three to answer
        limit = timedelta(days=1 if item.status in item_store.WAITING else 3)
        return now - item.updated_at > limit
    return any(due <= now for _, due in await deadlines.current(conn, item.id, config))


def _age(since: datetime, now: datetime, t) -> str:
    days = (local_day(now) - local_day(since)).days
    return t("today") if days <= 0 else t("{days} d", days=days)


async def render_liaison(conn, member, now: datetime, config: HandlerConfig,
                         target_ids: list[int]) -> str | None:
    t = translator(member.language)
    lines = [t("🗂 <b>Your queue</b> · {date}", date=local_day(now).strftime("%Y-%m-%d"))]
    anything = False
    for target_id in target_ids:
        target = await target_store.by_id(conn, target_id)
        if target is None:
            continue
        waiting = await store.queue(conn, target_id, item_store.WAITING)
        handling = [i for i in await store.queue(conn, target_id, ("claimed", "needs_info", "answered"))
                    if i.claimed_target_id == target_id]
        for_member = [i for i in handling if i.status == "needs_info"]
        overdue = [i for i in [*waiting, *handling]
                   if i.status != "needs_info" and await _overdue(conn, i, config, now)]
        if not (waiting or overdue or for_member):
            continue
        anything = True
        lines += ["", f"<b>{html.escape(reference.name(target, t.lang))}</b>"]
        for label, rows, start in ((N_("Unclaimed ({count}):"), waiting, "routed_at"),
                                   (N_("Overdue ({count}):"), overdue, "updated_at"),
                                   (N_("Waiting for the member ({count}):"), for_member, "updated_at")):
            if rows:
                lines.append(t(label, count=len(rows)) + " " + "、".join(
                    t("{code} ({age})", code=lifecycle.titled(i), age=Html(_age(getattr(i, start), now, t))) for i in rows))
    if not anything:
        return None
    lines += ["", t("Act on the cards in your groups; a card's buttons show what can be done next.")]
    return "\n".join(lines)


# --- the office's weekly statistics and chart -----------------------------------------------------

def render_office(stats: OfficeStats, lang: str, open_count: int) -> str:
    t = translator(lang)
    lines = [t("📊 <b>Weekly statistics</b> · {period}", period=stats.period_label())]
    totals = {k: sum(r[k] for r in stats.by_topic.values()) for k in ("new", "answered", "adopted")}
    lines.append(t("In total: {new} new · {answered} answered · {adopted} adopted; {open} reports open now.",
                   open=open_count, **totals))
    for title, by in ((N_("<b>By topic</b>"), "topic"), (N_("<b>By district</b>"), "district")):
        rows = stats.rows(by, lang)
        if rows:
            lines += ["", t(title)]
            lines += ["· " + t("{topic}: {new} new · {answered} answered · {adopted} adopted",
                               topic=label, new=new, answered=answered, adopted=adopted)
                      for label, new, answered, adopted in rows]
    if stats.by_tag:  # tags cut across topics: 适老 reports under every topic, counted once each
        lines += ["", t("<b>New reports by tag</b>"), "· " + " · ".join(
            t("{tag}: {count} reports", tag=reference.name(tag, lang), count=count) for tag, count in stats.by_tag)]
    if not stats.by_topic:
        lines += ["", t("No reports this week.")]
    return "\n".join(lines)


async def open_count(conn) -> int:
    return await store.open_count(conn, item_store.OPEN)


def office_chart(stats: OfficeStats, config: HandlerConfig, due: datetime, lang: str) -> Path:
    """Draw the office's chart for the week ending at ``due`` in ``lang``; returns the PNG's path."""
    from handlers.digests import charts  # matplotlib is loaded only when a chart is drawn
    path = (Path(config.charts_dir) / f"office-{local_day(due):%Y-%m-%d}-{lang}.png").resolve()
    return charts.render_office_chart(stats.chart_data(lang), path, lang)
