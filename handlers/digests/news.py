"""What the digests show, loaded once per firing: the news of a window (``News``), the members'
own reports (``OwnItems``) and the office's weekly statistics (``OfficeStats``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Sequence

from handlers.core.feature import Recent, Upcoming
from handlers.core.i18n import translator
from handlers.core.localtime import local_day
from storage import digests as store
from storage import items as item_store
from storage import outcomes as outcome_store
from storage import reference


@dataclass
class News:
    """What happened in a window, shared by every member's digest of one firing."""

    since: datetime
    until: datetime
    city: dict[str, dict[str, int]]
    adoptions: list
    topics: dict[str, object]
    districts: dict[str, object]
    chains: dict[int, list] = field(default_factory=dict)  # the adopted items' outcome chains
    by_district: dict[str, dict] = field(default_factory=dict)  # district code -> its numbers by topic
    # Scratch space for the upcoming-sessions hooks, one per firing: a digest to thousands reads
    # the calendar once, not once per member.
    cache: dict = field(default_factory=dict)
    # The lines every member of one language and district gets alike (numbers, highlights), rendered once.
    rendered: dict = field(default_factory=dict)
    upcoming: Sequence[Upcoming] = ()  # the features' "Coming up" hooks
    recent: Sequence[Recent] = ()  # the features' news of the window (conclusions, outcomes)

    @classmethod
    async def load(cls, conn, since: datetime, until: datetime, hooks=None) -> "News":
        """The window's news; ``hooks`` (the feature registry, ``ctx.features``) gives the
        features' "Coming up" and news lines."""
        adoptions = await store.adoptions(conn, since, until)
        city, by_district = await store.city_and_district_numbers(conn, since, until)
        return cls(since, until, city, adoptions, {t.code: t for t in await reference.all_topics(conn)},
                   {d.code: d for d in await reference.all_districts(conn)},
                   chains=await outcome_store.chains(conn, [a.id for a in adoptions]), by_district=by_district,
                   upcoming=getattr(hooks, "upcoming", ()), recent=getattr(hooks, "recent", ()))

    @classmethod
    async def week_and_day(cls, conn, due: datetime, hooks) -> tuple["News", "News"]:
        """The week's news for the weekly digest, and the last day's for members who chose daily."""
        return (await cls.load(conn, due - timedelta(days=7), due, hooks),
                await cls.load(conn, due - timedelta(days=1), due, hooks))

    def empty(self) -> bool:
        return not self.city and not self.adoptions


@dataclass
class OwnItems:
    """Per author: their open reports and those closed this week, with each one's latest event
    and outcome chain."""

    items: dict[int, list]
    events: dict[int, object]
    targets: dict[int, dict[str, str]]  # target id -> its names by language, filled as digests are rendered
    chains: dict[int, list] = field(default_factory=dict)

    @classmethod
    async def load(cls, conn, author_ids: list[int], since: datetime,
                   targets: dict[int, dict[str, str]] | None = None) -> "OwnItems":
        """These authors' reports (``targets``: the names of targets already looked up, shared by
        the chunks of one firing)."""
        found = await store.own_items(conn, author_ids, open_statuses=item_store.OPEN, since=since)
        ids = [i.id for rows in found.values() for i in rows]
        return cls(found, await store.latest_events(conn, ids), {} if targets is None else targets,
                   await outcome_store.chains(conn, ids))


@dataclass
class OfficeStats:
    since: datetime
    until: datetime
    by_topic: dict[str, dict[str, int]]
    by_district: dict[str, dict[str, int]]
    topics: dict[str, object]
    districts: dict[str, object]
    by_tag: list[tuple[object, int]] = field(default_factory=list)  # (tag row, new reports carrying it), tag order

    @classmethod
    async def load(cls, conn, until: datetime) -> "OfficeStats":
        since = until - timedelta(days=7)
        tagged = await store.tag_counts(conn, since, until)
        return cls(since, until, await store.numbers(conn, since, until),
                   await store.numbers(conn, since, until, by="district_code"),
                   {t.code: t for t in await reference.all_topics(conn)},
                   {d.code: d for d in await reference.all_districts(conn)},
                   [(tag, tagged[tag.code]) for tag in await reference.all_tags(conn) if tag.code in tagged])

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
