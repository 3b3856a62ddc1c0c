"""The consultation's part of a member's ``/calendar`` (``Feature.calendar``): each announced
meeting they are invited to, with their answer, and its written statements' deadline."""

from __future__ import annotations

from datetime import datetime

from handlers.consultation.cards import answer_text
from handlers.core import audience
from handlers.core.feature import CalendarEntry
from handlers.core.i18n import translator
from handlers.core.localtime import shown, show_span
from storage import consultation as store


async def calendar(conn, member, start: datetime, end: datetime, lang: str, cache: dict) -> list[CalendarEntry]:
    key = ("consultation.calendar", start, end)
    if key not in cache:
        cache[key] = [(m, await store.venues(conn, m.id))
                      for m in await store.meetings(conn, ending_after=start, announced_only=True)
                      if m.starts_at < end or start <= m.statements_by < end]
    t = translator(lang)
    entries = []
    for m, venues in cache[key]:
        r = await store.rsvp(conn, m.id, member.id)
        if r is None and not audience.addresses(m.audience, member):
            continue
        if start <= m.statements_by < end:
            entries.append(CalendarEntry(m.statements_by, "· 📝 " + t(
                "{time} written statements due for <b>{title}</b> (专题协商会)", time=shown(m.statements_by),
                title=m.title)))
        if m.starts_at < end:
            entries.append(CalendarEntry(m.starts_at, f"· {show_span(m.starts_at, m.ends_at)} " + t(
                "🏛 <b>{title}</b> (专题协商会)", title=m.title) + " · " + answer_text(t, r, venues)))
    return entries
