"""The study calendar's part of a member's duty record (履职档案, ``Feature.record_parts``): the
sessions of the window with their answer (an excused absence with its reason) and check-in, and
the reading plans with the days checked in."""

from __future__ import annotations

from collections import Counter

from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.core.points import RecordSection
from handlers.study.terms import STATE_LABELS
from storage import study as store


async def record_part(conn, member, start, end, lang: str) -> list[RecordSection]:
    t = translator(lang)
    sessions = [[row.title, shown(row.starts_at), t.plain(STATE_LABELS[row.status]), row.reason or "",
                 shown(row.checked_in_at) if row.checked_in_at else ""]
                for row in await store.attendance_of(conn, member.id) if start <= row.starts_at < end]
    days = Counter(row.title for row in await store.plan_checkins_of(conn, member.id)
                   if start <= row.checked_at < end)
    return [RecordSection("study", t.plain(N_("Study sessions")),
                          [t.plain(h) for h in (N_("Session"), N_("Starts"), N_("Answer"), N_("Reason"),
                                                N_("Checked in"))], sessions),
            RecordSection("reading", t.plain(N_("Reading plans")),
                          [t.plain(N_("Plan")), t.plain(N_("Days checked in"))], sorted(days.items()))]
