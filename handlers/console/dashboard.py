"""The console's dashboard: a period's numbers (new, claimed, answered, adopted, overdue) in total,
by topic and by district — the weekly statistics' own counts (storage/digests.py ``numbers``, the
same ``OfficeStats`` and chart) for any period —, the oldest reports nobody has claimed, and the
outbox's health. Everything is limited to the viewer's scope (a district's admin: their district)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from handlers.core.context import HandlerConfig
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_at, local_day
from handlers.core.roles import Scope
from handlers.digests.news import OfficeStats
from storage import console as store
from storage import digests as digest_store
from storage import items as item_store
from storage import outbox, reference

MAX_DAYS = 366
COUNTS = ("new", "claimed", "answered", "adopted", "overdue")


class PeriodError(ValueError):
    """A period the dashboard cannot show; ``field`` is the form field it is about, the message a msgid."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def period(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """The form's period (YYYY-MM-DD, both days included); by default the last seven days."""
    def day(text: str | None, name: str, default: date) -> date:
        if not text:
            return default
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise PeriodError(name, N_("Enter a date as YYYY-MM-DD.")) from None
    last = day(end, "to", today)
    first = day(start, "from", last - timedelta(days=6))
    if first > last:
        raise PeriodError("to", N_("The period ends before it starts."))
    if (last - first).days >= MAX_DAYS:
        raise PeriodError("from", N_("A period is at most a year."))
    return first, last


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return local_at(first, time()), local_at(last + timedelta(days=1), time())


async def overdue_items(conn, scope: Scope, config: HandlerConfig, now: datetime) -> list:
    """Open items of the scope with a deadline already past (handlers/reports/deadlines.py)."""
    from handlers.reports import deadlines
    found = []
    for item in await store.items_in(conn, item_store.OPEN, district=scope.district):
        if any(due <= now for _, due in await deadlines.current(conn, item.id, config)):
            found.append(item)
    return found


@dataclass
class Dashboard:
    first: date
    last: date
    stats: OfficeStats  # new / answered / adopted by topic and district: the weekly statistics' counts
    claimed: dict[str, dict]  # by → code → claimed in the period
    overdue: dict[str, dict]  # by → code → open items overdue now
    oldest_unclaimed: list = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)
    failed: list = field(default_factory=list)
    unreachable: list = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        totals = {k: sum(r[k] for r in self.stats.by_topic.values()) for k in ("new", "answered", "adopted")}
        totals["claimed"] = sum(self.claimed["topic"].values())
        totals["overdue"] = sum(self.overdue["topic"].values())
        return totals

    def rows(self, by: str, lang: str) -> list[tuple]:
        """(label, new, claimed, answered, adopted, overdue) per topic or district."""
        table = self.stats.by_topic if by == "topic" else self.stats.by_district
        names = self.stats.topics if by == "topic" else self.stats.districts
        codes = set(table) | set(self.claimed[by]) | set(self.overdue[by])
        order = sorted(codes, key=lambda c: (c is None, getattr(names.get(c), "position", 0), c or ""))
        result = []
        for code in order:
            row = table.get(code, {})
            label = reference.name(names[code], lang) if code in names else (code or translator(lang).plain("city-wide"))
            result.append((label, row.get("new", 0), self.claimed[by].get(code, 0), row.get("answered", 0),
                           row.get("adopted", 0), self.overdue[by].get(code, 0)))
        return result

    def chart_data(self, lang: str):
        """The weekly chart's data for this period (titled for a period, not "this week")."""
        return replace(self.stats.chart_data(lang), weekly=False)


async def load(conn, scope: Scope, first: date, last: date, config: HandlerConfig, now: datetime) -> Dashboard:
    since, until = bounds(first, last)
    district = scope.district
    stats = OfficeStats(since, until, await digest_store.numbers(conn, since, until, district=district),
                        await digest_store.numbers(conn, since, until, by="district_code", district=district),
                        {t.code: t for t in await reference.all_topics(conn)},
                        {d.code: d for d in await reference.all_districts(conn)})
    claimed = {"topic": await store.claimed_numbers(conn, since, until, district=district),
               "district": await store.claimed_numbers(conn, since, until, by="district_code", district=district)}
    overdue: dict[str, dict] = {"topic": {}, "district": {}}
    for item in await overdue_items(conn, scope, config, now):
        for by, code in (("topic", item.topic_code), ("district", item.district_code)):
            overdue[by][code] = overdue[by].get(code, 0) + 1
    waiting = await store.items_in(conn, item_store.WAITING, district=district, limit=10)
    board = Dashboard(first, last, stats, claimed, overdue, waiting,
                      unreachable=await store.unreachable_members(conn, district=district))
    if scope.kind == "city":  # the sender is the whole city's: its queue is not a district's business
        board.outbox = await outbox.counts(conn)
        board.failed = await store.failed_messages(conn)
    return board


def age_days(since: datetime, now: datetime) -> int:
    return max(0, (local_day(now) - local_day(since)).days)
