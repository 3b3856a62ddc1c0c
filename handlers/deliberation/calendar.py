"""Deliberation's part of a member's ``/calendar`` (``Feature.calendar``): the topics they may take
part in — open ones by when they close, scheduled ones by when they open."""

from __future__ import annotations

from datetime import datetime

from handlers.core.feature import CalendarEntry
from handlers.core.i18n import translator
from handlers.core.localtime import shown
from handlers.deliberation.common import may_take_part
from storage import deliberation as store


async def calendar(conn, member, start: datetime, end: datetime, lang: str, cache: dict) -> list[CalendarEntry]:
    key = ("deliberation.calendar", start, end)
    if key not in cache:
        cache[key] = await store.listing(conn, ("open", "scheduled"))
    t = translator(lang)
    entries = []
    for topic in cache[key]:
        if not may_take_part(member, topic):
            continue
        if topic.status == "open" and start <= topic.closes_at < end:
            entries.append(CalendarEntry(topic.closes_at, "· 💬 " + t(
                "Topic <b>{title}</b> (网络议政) is open to you until {time}: /deliberations",
                title=topic.title, time=shown(topic.closes_at))))
        elif topic.status == "scheduled" and start <= topic.opens_at < end:
            entries.append(CalendarEntry(topic.opens_at, "· 💬 " + t(
                "Topic <b>{title}</b> (网络议政) opens {time}, until {closes}", title=topic.title,
                time=shown(topic.opens_at), closes=shown(topic.closes_at))))
    return entries
