"""Digests (PRODUCT.md §9): the members' weekly digest, the news at the pace each member chose,
the liaisons' daily queue and the office's weekly statistics with a chart.

Timers (one occurrence key each, planned by ``plan_digests``, a ``@recurring`` planner that
keeps the next occurrence of each in the timers table; times in Asia/Shanghai):

- ``digest:weekly:{YYYY-MM-DD}`` — every ``digest_weekday`` (Monday) at ``digest_time`` (09:00):
  every member's weekly digest: their own reports (status and latest hop of each open one,
  those closed this week) and — for members who chose *weekly* — the news: numbers for the
  city and their district by topic (new / answered / adopted this week), adopted highlights
  (the 3 most recent per topic and for their district: codes and topics, the author only when
  the report is named — never an anonymous or office-only author) and upcoming sessions. A
  member who chose *daily* gets the news of the last day in it instead (no daily digest that
  day), *instant* or *off* only their reports (and nothing when they have none).
- ``digest:daily:{date}`` — the other days at ``digest_time``: the last day's news to members
  who chose *daily* (nothing when nothing happened).
- ``digest:instant:{date}T{HH}`` — every hour: adoptions of the last hour to members who chose
  *instant* (nothing when there were none).
- ``digest:liaison:{date}`` — working days (China's calendar, ``storage/calendar.py``) at
  ``digest_liaison_time`` (08:00): each liaison's queue per target they are a liaison of —
  unclaimed, overdue, waiting for the member (nothing when the queue is empty).
- ``digest:office:{date}`` — with the weekly digest: the office admins' statistics by topic and
  district, and a chart (``handlers/charts.py``) sent as a photo.

Each digest is ONE outbox row per recipient, key ``digest:{period}:{member_id}`` (e.g.
``digest:weekly:2026-06-15:42``; a text over 4096 characters goes as several messages, the
key on the last), all written in the transaction of the timer's firing, at bulk priority: a
crash mid-send resumes from the outbox, and each member gets it once (a duplicate only for a
row caught 'sending' at the kill). Firing again — a second timer, ``linkage digest send`` —
skips every recipient whose row exists: once per period.

Upcoming sessions come from the features' ``upcoming`` hooks (``ctx.features.upcoming``; the
study calendar declares one: ``async def hook(conn, member, start, end, lang, cache) -> list[str]``,
HTML lines; ``cache`` is a dict that lives for one firing, for what is the same for every member).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from handlers.reports import lifecycle
from handlers.core.context import Ctx, HandlerConfig
from handlers.core.i18n import N_, translator
from handlers.core.buttons import ButtonData
from handlers.core.feature import Upcoming
from storage import digests as store
from storage import outbox, people, reference
from storage import targets as target_store
from storage import items as item_store
from storage.schema import items as items_table
from storage.schema import outbox as outbox_table

log = logging.getLogger("linkage.digest")

SHANGHAI = ZoneInfo("Asia/Shanghai")
KINDS = ("weekly", "daily", "instant", "liaison", "office")
USEFUL = {"weekly": timedelta(hours=24), "office": timedelta(hours=24), "daily": timedelta(hours=12),
          "instant": timedelta(hours=1), "liaison": timedelta(hours=10)}
HIGHLIGHTS = 3  # adopted highlights per topic and per district
UPCOMING_DAYS = 14  # how far ahead the weekly digest looks for sessions (the daily: 2 days)
FREQUENCY_LABELS = {"instant": N_("Instant (as it happens)"), "daily": N_("Daily"), "weekly": N_("Weekly"),
                    "off": N_("Off")}

FREQUENCY = ButtonData("dg", refusal=N_("This choice is not valid."), frequency=tuple(FREQUENCY_LABELS))


# --- when -----------------------------------------------------------------------------------

def _clock(text: str) -> time:
    return time.fromisoformat(text)


def local_at(day: date, clock: str) -> datetime:
    """``clock`` (HH:MM) on ``day`` in Asia/Shanghai, as an aware UTC datetime."""
    return datetime.combine(day, _clock(clock), tzinfo=SHANGHAI).astimezone(timezone.utc)


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


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
    local = due.astimezone(SHANGHAI)
    return f"digest:{kind}:{local:%Y-%m-%dT%H}" if kind == "instant" else f"digest:{kind}:{local:%Y-%m-%d}"


def period_of(kind: str, due: datetime) -> str:
    """'weekly:2026-06-15' — the part of the timer key after 'digest:'."""
    return timer_key(kind, due).removeprefix("digest:")


def row_key(period: str, member_id: int) -> str:
    return f"digest:{period}:{member_id}"


async def plan_digests(ctx: Ctx) -> None:
    """Make sure the next occurrence of every digest has its timer."""
    config = ctx.config
    weekly = next_weekly(ctx.now, config)
    plans = [("weekly", weekly), ("office", weekly), ("daily", next_daily(ctx.now, config)),
             ("instant", next_hour(ctx.now)), ("liaison", await next_liaison(ctx.conn, ctx.now, config))]
    for kind, due in plans:
        await ctx.schedule(timer_key(kind, due), f"digest_{kind}", due, expires_at=due + USEFUL[kind])


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


# --- what the members' digests show ---------------------------------------------------------

@dataclass
class News:
    """What happened in a window, shared by every member's digest of one firing."""

    since: datetime
    until: datetime
    city: dict[str, dict[str, int]]
    adoptions: list
    topics: dict[str, object]
    districts: dict[str, object]
    _by_district: dict[str, dict] = field(default_factory=dict)
    # Scratch space for the upcoming-sessions hooks, one per firing: a digest to thousands reads
    # the calendar once, not once per member.
    cache: dict = field(default_factory=dict)
    upcoming: Sequence[Upcoming] = ()  # the features' "Coming up" hooks

    @classmethod
    async def load(cls, conn, since: datetime, until: datetime, upcoming: Sequence[Upcoming] = ()) -> "News":
        return cls(since, until, await store.numbers(conn, since, until), await store.adoptions(conn, since, until),
                   {t.code: t for t in await reference.all_topics(conn)},
                   {d.code: d for d in await reference.all_districts(conn)}, upcoming=upcoming)

    async def district_numbers(self, conn, code: str) -> dict[str, dict[str, int]]:
        if code not in self._by_district:
            self._by_district[code] = await store.numbers(conn, self.since, self.until, district=code)
        return self._by_district[code]

    def empty(self) -> bool:
        return not self.city and not self.adoptions


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


def _highlight(item, t) -> str:
    """A code, with the author's name only when the report is named."""
    if item.privacy == "named":
        return t("{code} (by {name})", code=item.code, name=item.author_name)
    return html.escape(item.code)


def _highlight_lines(news: News, member, t) -> list[str]:
    per_topic: dict[str, list] = {}
    for item in news.adoptions:
        per_topic.setdefault(item.topic_code, [])
        if len(per_topic[item.topic_code]) < HIGHLIGHTS:
            per_topic[item.topic_code].append(item)
    lines = []
    for code in _topic_order(news, per_topic):
        topic = news.topics.get(code)
        lines.append("· " + html.escape(reference.name(topic, t.lang) if topic else code) + ": "
                     + "、".join(_highlight(i, t) for i in per_topic[code]))
    if member.district_code:
        mine = [i for i in news.adoptions if i.district_code == member.district_code][:HIGHLIGHTS]
        district = news.districts.get(member.district_code)
        if mine and district is not None:
            lines.append("· " + html.escape(reference.name(district, t.lang)) + ": " + "、".join(
                _highlight(i, t) + " · " + html.escape(reference.name(news.topics[i.topic_code], t.lang)
                                                       if i.topic_code in news.topics else i.topic_code)
                for i in mine))
    return lines


async def news_lines(conn, news: News, member, t, *, period_label: str, upcoming_days: int) -> list[str]:
    """The parts of a digest that are not about the member's own reports (empty: nothing new)."""
    lines: list[str] = []
    if news.city:
        lines += ["", t("<b>Tianjin, {period}</b> (new · answered · adopted)", period=period_label),
                  *_number_lines(news, news.city, t)]
    if member.district_code and member.district_code in news.districts:
        mine = await news.district_numbers(conn, member.district_code)
        if mine:
            lines += ["", t("<b>{district}, {period}</b> (new · answered · adopted)", district=reference.name(
                news.districts[member.district_code], t.lang), period=period_label), *_number_lines(news, mine, t)]
    highlights = _highlight_lines(news, member, t)
    if highlights:
        lines += ["", t("<b>Adopted (采用)</b>"), *highlights]
    sessions: list[str] = []
    for hook in news.upcoming:
        try:
            sessions += await hook(conn, member, news.until, news.until + timedelta(days=upcoming_days), t.lang,
                                   news.cache)
        except Exception:  # a broken hook must not stop the digest of thousands
            log.exception("upcoming-sessions hook failed", extra={"hook": getattr(hook, "__name__", "?")})
    if sessions:
        lines += ["", t("<b>Coming up</b>"), *sessions]
    return lines


@dataclass
class OwnItems:
    items: dict[int, list]
    events: dict[int, object]
    targets: dict[int, str]

    @classmethod
    async def load(cls, conn, author_ids: list[int] | None, since: datetime) -> "OwnItems":
        found = await store.own_items(conn, author_ids, open_statuses=item_store.OPEN, since=since)
        events = await store.latest_events(conn, [i.id for rows in found.values() for i in rows])
        return cls(found, events, {})

    async def lines(self, conn, member, t, since: datetime) -> list[str]:
        mine = self.items.get(member.id, [])
        open_ = [i for i in mine if i.status in item_store.OPEN]
        done = [i for i in mine if i.status not in item_store.OPEN]
        if not mine:
            return []
        lines = ["", t("<b>Your reports</b>")]
        for item in open_:
            lines.append(f"<b>{item.code}</b> · " + lifecycle.status_label(item.status, t.lang))
            event = self.events.get(item.id)
            if event is not None:
                lines.append("   " + await self._hop(conn, event, t))
        if done:
            lines.append(t("Closed or decided this week:"))
            for item in done:
                lines.append(f"<b>{item.code}</b> · " + lifecycle.status_label(item.status, t.lang))
        return lines

    async def _hop(self, conn, event, t) -> str:
        where = ""
        if event.to_target_id:
            if event.to_target_id not in self.targets:
                target = await target_store.by_id(conn, event.to_target_id)
                self.targets[event.to_target_id] = {"zh": reference.name(target, "zh"),
                                                    "en": reference.name(target, "en")} if target else {}
            where = self.targets[event.to_target_id].get(t.lang, "")
        when = event.created_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
        return f"{when} " + t(lifecycle.EVENT_LABELS.get(event.kind, event.kind), where=where)


def _footer(t, frequency: str) -> str:
    return t("/settings — how often you get the news (now: {choice})", choice=t.plain(FREQUENCY_LABELS[frequency]))


async def render_member(conn, member, *, kind: str, due: datetime, frequency: str, news: News,
                        own: OwnItems | None, daily_news: News | None = None) -> str | None:
    """One member's digest of ``kind`` (weekly | daily | instant), or None when it has nothing."""
    t = translator(member.language)
    day = local_day(due).strftime("%Y-%m-%d")
    if kind == "weekly":
        lines = [t("📰 <b>Weekly digest</b> · {date}", date=day)]
        own_lines = await own.lines(conn, member, t, news.since) if own is not None else []
        if frequency == "weekly":
            lines += own_lines or ["", t("You have no open reports. /submit starts one.")]
            news_part = await news_lines(conn, news, member, t, period_label=t("this week"),
                                         upcoming_days=UPCOMING_DAYS)
            lines += news_part or ["", t("A quiet week: no new reports in the city.")]
        else:
            extra = []
            if frequency == "daily" and daily_news is not None:
                extra = await news_lines(conn, daily_news, member, t, period_label=t("the last day"),
                                         upcoming_days=2)
            if not own_lines and not extra:
                return None
            lines += own_lines + extra
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


async def _existing(conn, period: str) -> set[str]:
    prefix = f"digest:{period}:"
    rows = await conn.execute(select(outbox_table.c.key).where(outbox_table.c.key.startswith(prefix,
                                                                                            autoescape=True)))
    return set(rows.scalars())


async def send_weekly(ctx: Ctx, due: datetime) -> int:
    """Every member's weekly digest for the week ending at ``due``; returns rows created."""
    period = period_of("weekly", due)
    done = await _existing(ctx.conn, period)
    since = due - timedelta(days=7)
    news = await News.load(ctx.conn, since, due, ctx.features.upcoming)
    daily_news = await News.load(ctx.conn, due - timedelta(days=1), due, ctx.features.upcoming)
    own = await OwnItems.load(ctx.conn, None, since)
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
    done = await _existing(ctx.conn, period)
    news = await News.load(ctx.conn, due - (timedelta(days=1) if kind == "daily" else timedelta(hours=1)), due,
                           ctx.features.upcoming)
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


# --- liaisons: the daily queue ----------------------------------------------------------------

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
                    f"{i.code} ({_age(getattr(i, start), now, t)})" for i in rows))
    if not anything:
        return None
    lines += ["", t("Act on the cards in your groups; a card's buttons show what can be done next.")]
    return "\n".join(lines)


async def send_liaison(ctx: Ctx, due: datetime) -> int:
    period = period_of("liaison", due)
    done = await _existing(ctx.conn, period)
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


# --- the office: weekly statistics and the chart ------------------------------------------------

@dataclass
class OfficeStats:
    since: datetime
    until: datetime
    by_topic: dict[str, dict[str, int]]
    by_district: dict[str, dict[str, int]]
    topics: dict[str, object]
    districts: dict[str, object]

    @classmethod
    async def load(cls, conn, until: datetime) -> "OfficeStats":
        since = until - timedelta(days=7)
        return cls(since, until, await store.numbers(conn, since, until),
                   await store.numbers(conn, since, until, by="district_code"),
                   {t.code: t for t in await reference.all_topics(conn)},
                   {d.code: d for d in await reference.all_districts(conn)})

    def period_label(self) -> str:
        return f"{local_day(self.since):%Y-%m-%d} – {local_day(self.until - timedelta(seconds=1)):%Y-%m-%d}"

    def rows(self, by: str, lang: str) -> list[tuple[str, int, int, int]]:
        table, names = (self.by_topic, self.topics) if by == "topic" else (self.by_district, self.districts)
        t = translator(lang)
        order = sorted(table, key=lambda c: (c is None, getattr(names.get(c), "position", 0), c or ""))
        result = []
        for code in order:
            row = table[code]
            label = reference.name(names[code], lang) if code in names else (code or t.plain("city-wide"))
            result.append((label, row["new"], row["answered"], row["adopted"]))
        return result

    def chart_data(self, lang: str):
        from handlers.digests.charts import ChartData  # matplotlib is loaded only when a chart is drawn
        return ChartData(self.period_label(), self.rows("topic", lang), self.rows("district", lang))


def render_office_chart(data, path: Path, lang: str) -> Path:
    from handlers.digests import charts  # matplotlib is loaded only when a chart is drawn
    return charts.render_office_chart(data, path, lang)


def chart_path(config: HandlerConfig, due: datetime, lang: str) -> Path:
    return (Path(config.charts_dir) / f"office-{local_day(due):%Y-%m-%d}-{lang}.png").resolve()


async def office_chart(conn, due: datetime, config: HandlerConfig, lang: str = "zh") -> Path:
    """Render the office's chart for the week ending at ``due``; returns the PNG's path."""
    stats = await OfficeStats.load(conn, due)
    return render_office_chart(stats.chart_data(lang), chart_path(config, due, lang), lang)


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
    if not stats.by_topic:
        lines += ["", t("No reports this week.")]
    return "\n".join(lines)


async def _open_count(conn) -> int:
    return (await conn.execute(select(func.count()).select_from(items_table)
                               .where(items_table.c.status.in_(item_store.OPEN)))).scalar_one()


async def send_office(ctx: Ctx, due: datetime) -> int:
    period = period_of("office", due)
    done = await _existing(ctx.conn, period)
    admins = [m for m in await people.admins(ctx.conn) if m.reachable and row_key(period, m.id) not in done]
    if not admins:
        return 0
    stats = await OfficeStats.load(ctx.conn, due)
    open_count = await _open_count(ctx.conn)
    charts: dict[str, Path] = {}
    for member in admins:
        t = translator(member.language)
        if t.lang not in charts:
            charts[t.lang] = render_office_chart(stats.chart_data(t.lang), chart_path(ctx.config, due, t.lang),
                                                 t.lang)
        await ctx.send(member.telegram_user_id, render_office(stats, t.lang, open_count),
                       key=row_key(period, member.id), priority=outbox.BULK)
        await ctx.call("sendPhoto", {"chat_id": member.telegram_user_id, "photo": {"$file": str(charts[t.lang])},
                                     "caption": t("📊 Reports this week by topic and district ({period})",
                                                  period=stats.period_label()), "parse_mode": "HTML"},
                       chat_id=member.telegram_user_id, key=row_key(period, member.id) + ":chart",
                       priority=outbox.BULK)
    await store.record_run(ctx.conn, period, "office", len(admins), ctx.now)
    return len(admins)


# --- /settings ------------------------------------------------------------------------------

def _settings_view(t, frequency: str):
    text = "\n".join([t("<b>Digest settings</b>"),
                      t("Your own reports: every step reaches you at once, and the weekly digest sums "
                        "them up."),
                      t("The news (numbers for the city and your district, adopted reports, upcoming "
                        "sessions): how often do you want it?"),
                      t("Now: {choice}", choice=t.plain(FREQUENCY_LABELS[frequency]))])
    buttons = [[(("● " if key == frequency else "") + t.plain(label), FREQUENCY.pack(key))]
               for key, label in FREQUENCY_LABELS.items()]
    return text, buttons


async def stats_command(ctx: Ctx) -> None:
    """/stats (office admins): the last seven days as the weekly statistics give them."""
    if ctx.member.role != "admin":
        await ctx.reply(ctx.t("Only office admins can see the statistics."))
        return
    stats = await OfficeStats.load(ctx.conn, ctx.now)
    await ctx.reply(render_office(stats, ctx.t.lang, await _open_count(ctx.conn)))


async def settings_command(ctx: Ctx) -> None:
    text, buttons = _settings_view(ctx.t, await store.frequency(ctx.conn, ctx.member.id))
    await ctx.reply(text, buttons=buttons)


async def on_settings_button(ctx: Ctx, fields: dict) -> None:
    t = ctx.t
    rest = fields["frequency"]
    await store.set_frequency(ctx.conn, ctx.member.id, rest, ctx.now)
    await ctx.answer(t.plain("Saved: {choice}", choice=t.plain(FREQUENCY_LABELS[rest])))
    text, buttons = _settings_view(t, rest)
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)


async def personal_data(conn, member) -> dict:
    """For /mydata (handlers/privacy.py): how often news reaches the member."""
    return {"news_frequency": translator(member.language).plain(FREQUENCY_LABELS[await store.frequency(conn, member.id)])}



# --- previews and sends from the command line ---------------------------------------------------

async def preview(conn, member, now: datetime, config: HandlerConfig, kind: str = "weekly",
                  upcoming: Sequence[Upcoming] = ()) -> tuple[str, Path | None]:
    """The digest of ``kind`` the member would get for the current period, and the chart's path
    for the office kind. Nothing is sent."""
    if kind == "weekly":
        due = current_weekly(now, config)
        news = await News.load(conn, due - timedelta(days=7), due, upcoming)
        daily = await News.load(conn, due - timedelta(days=1), due, upcoming)
        text = await render_member(conn, member, kind="weekly", due=due, news=news, daily_news=daily,
                                   own=await OwnItems.load(conn, [member.id], due - timedelta(days=7)),
                                   frequency=await store.frequency(conn, member.id))
        return text or "", None
    if kind == "liaison":
        targets = (await store.liaison_targets(conn)).get(member.id, [])
        return (await render_liaison(conn, member, now, config, targets) or ""), None
    if kind == "office":
        due = current_weekly(now, config)
        stats = await OfficeStats.load(conn, due)
        lang = translator(member.language).lang
        path = render_office_chart(stats.chart_data(lang), chart_path(config, due, lang), lang)
        return render_office(stats, lang, await _open_count(conn)), path
    raise ValueError(f"kind must be weekly, liaison or office, not {kind!r}")


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
