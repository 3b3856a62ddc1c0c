"""The research projects' part of a member's duty record (履职档案, ``Feature.record_parts``): the
projects they took part in during the window (joined then), with their findings, the field visits
they checked in at, and when the research paper was delivered. (The directions a member proposed
are in /my and /mydata.)"""

from __future__ import annotations

from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.core.points import RecordSection
from storage import research as store


async def record_part(conn, member, start, end, lang: str) -> list[RecordSection]:
    t = translator(lang)
    findings: dict[int, int] = {}
    for f in await store.findings_of(conn, member.id):
        findings[f.project_id] = findings.get(f.project_id, 0) + 1
    rows = []
    for m in await store.memberships_of(conn, member.id):
        if m.joined_at is None or not start <= m.joined_at < end:
            continue
        visits = (await store.visits_attended(conn, m.project_id)).get(member.id, 0)
        rows.append([m.title, shown(m.joined_at), t.plain(N_("left")) if m.status == "left" else "",
                     findings.get(m.project_id, 0), visits, shown(m.reported_at) if m.reported_at else ""])
    return [RecordSection("research", t.plain(N_("Research projects")),
                          [t.plain(h) for h in (N_("Project"), N_("Joined"), N_("Left"), N_("Findings"),
                                                N_("Field visits attended"), N_("Research paper delivered"))], rows)]
