"""The study calendar's part of a member's ``/calendar`` (``Feature.calendar``): the announced
sessions they are invited to or answered, with their answer, and each day of the reading plans
addressed to them. The session line is the digest's "Coming up" line too (views.py)."""

from __future__ import annotations

from datetime import datetime

from handlers.core import audience
from handlers.core.context import clip
from handlers.core.feature import CalendarEntry
from handlers.core.i18n import Translator, translator
from handlers.core.localtime import local_at, local_day, show_span
from handlers.study.cards import day_kinds, esc
from handlers.study.terms import STATE_LABELS
from storage import study as store

ASSIGNMENT_CHARS = 80  # a reading day's assignment, as the calendar shows it


def session_line(t: Translator, s, r) -> str:
    """· 12-05 14:30–16:30 <b>title</b> · place · my answer (HTML)."""
    where = s.place or t("online")
    state = t(STATE_LABELS[r.status if r is not None else "invited"])
    return f"· {show_span(s.starts_at, s.ends_at)} <b>{esc(s.title)}</b> · {esc(where)} · {state}"


async def calendar(conn, member, start: datetime, end: datetime, lang: str, cache: dict) -> list[CalendarEntry]:
    key = ("study.calendar", start, end)
    if key not in cache:
        sessions = [s for s in await store.sessions(conn, ending_after=start, statuses=("announced",))
                    if s.starts_at < end]
        plans = [(p, await store.plan_days(conn, p.id)) for p in await store.plans(conn, statuses=("active",))]
        cache[key] = sessions, await store.session_rsvps(conn, [s.id for s in sessions]), plans
    sessions, answers, plans = cache[key]
    t = translator(lang)
    entries = []
    for s in sessions:
        r = answers.get((s.id, member.id))
        if r is not None or audience.addresses(s.audience, member):
            entries.append(CalendarEntry(s.starts_at, session_line(t, s, r)))
    for p, days in plans:
        if not audience.addresses(p.audience, member):
            continue
        for d in days:
            at = local_at(d.on_date, p.remind_at)
            if local_day(start) <= d.on_date and at < end:
                entries.append(CalendarEntry(at, "· 📖 " + t(
                    "{date} reading plan <b>{title}</b>, day {n} of {total} ({kinds}): {assignment}",
                    date=d.on_date.isoformat(), title=p.title, n=d.day_no, total=len(days),
                    kinds=day_kinds(t, d.kinds), assignment=clip(d.assignment, ASSIGNMENT_CHARS))))
    return entries
