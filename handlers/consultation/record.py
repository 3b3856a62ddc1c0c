"""The consultation's part of a member's duty record (履职档案, ``Feature.record_parts``): the
meetings of the window they were invited to, with their answer and check-in, and their written
statements (书面发言) with the state, whether they spoke in person and the departments' responses."""

from __future__ import annotations

from handlers.consultation.cards import answer_text
from handlers.consultation.terms import STATEMENT_STATUS
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.core.points import RecordSection
from storage import consultation as store


async def record_part(conn, member, start, end, lang: str) -> list[RecordSection]:
    t = translator(lang)
    checked = {row.consultation_id: row.at for row in await store.checkins_of(conn, member.id)}
    meetings = []
    for r in await store.rsvps_of(conn, member.id):
        if start <= r.starts_at < end:
            at = checked.get(r.consultation_id)
            meetings.append([r.title, shown(r.starts_at), answer_text(_Plain(t), r, await store.venues(
                conn, r.consultation_id)), shown(at) if at else ""])
    statements = []
    for s in await store.statements_of(conn, member.id):
        if not start <= s.created_at < end:
            continue
        responses = [x for x in await store.responses(conn, s.consultation_id) if x.statement_id == s.id]
        statements.append([s.meeting_title, s.title, shown(s.created_at), t.plain(STATEMENT_STATUS[s.status]),
                           "✓" if s.in_person else "", len(responses)])
    return [RecordSection("consultations", t.plain(N_("Consultation meetings")),
                          [t.plain(h) for h in (N_("Meeting"), N_("Starts"), N_("Answer"), N_("Checked in"))],
                          meetings),
            RecordSection("statements", t.plain(N_("Written statements")),
                          [t.plain(h) for h in (N_("Meeting"), N_("Title"), N_("Submitted"), N_("State"),
                                                N_("Spoke in person"), N_("Responses"))], statements)]


class _Plain:
    """A translator whose call is its ``plain``: the answer as a spreadsheet cell, unescaped."""

    def __init__(self, t):
        self._t = t
        self.plain = t.plain

    def __call__(self, msgid: str, **values) -> str:
        return self._t.plain(msgid, **values)
