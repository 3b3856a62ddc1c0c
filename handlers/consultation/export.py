"""After the meeting: the compilation of statements (发言摘登) as a Word document (python-docx) —
the meeting's details, then each accepted statement in the organisers' order with its speaker,
district or sector, title, text and the departments' responses — or the office's workbook
(.xlsx: statements, RSVPs, check-ins, live comments; every cell text, handlers/core/cells.py).
Statements are formal contributions and carry their author's name; a live comment shows the
name only when its author allowed it, the alias otherwise."""

from __future__ import annotations

import html
from pathlib import Path

from handlers.consultation.cards import answer_text, author_label, venue_line, venue_name, where_from
from handlers.consultation.meetings import meeting_or_fail
from handlers.consultation.terms import STATEMENT_STATUS, ConsultationError
from handlers.core.cells import write_sheets
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from handlers.core.localtime import show_span, shown
from storage import consultation as store
from storage import departments, reference

TAGS = ("<b>", "</b>")
SHEETS = [  # the workbook's sheets and their columns
    (N_("Statements"), [N_("Order"), N_("Statement"), N_("Roster id"), N_("Name"), N_("District / sector"),
                        N_("Title"), N_("Text"), N_("Status"), N_("Note"), N_("In person"), N_("Submitted")]),
    (N_("RSVPs"), [N_("Roster id"), N_("Name"), N_("Answer"), N_("Answered")]),
    (N_("Check-ins"), [N_("Roster id"), N_("Name"), N_("Venue"), N_("Time")]),
    (N_("Live comments"), [N_("Number"), N_("Signed"), N_("Text"), N_("Time"), N_("Pushed to the group")]),
]


def _plain(html_text: str) -> str:
    for tag in TAGS:
        html_text = html_text.replace(tag, "")
    return html.unescape(html_text)


async def _department(conn, code: str, lang: str) -> str:
    d = await departments.by_code(conn, code)
    return code if d is None else (d.name_en if lang == "en" else d.name_zh)


async def export(ctx: Ctx, meeting_id: int, out: str | Path, *, lang: str = "zh") -> Path:
    """Write the compilation (.docx) or the workbook (.xlsx); returns the path written."""
    m = await meeting_or_fail(ctx.conn, meeting_id)
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".docx", ".xlsx"):
        raise ConsultationError("the output file must end in .docx (发言摘登) or .xlsx (the workbook)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".docx":
        await _docx(ctx, m, path, translator(lang))
    else:
        await _xlsx(ctx, m, path, translator(lang))
    return path


async def _docx(ctx: Ctx, m, path: Path, t) -> None:
    from docx import Document  # imported here: only the export needs it
    conn = ctx.conn
    doc = Document()
    doc.add_heading(t.plain("{title} — compilation of statements (发言摘登)", title=m.title), level=0)
    committee = await store.committee(conn, m.committee_code)
    doc.add_paragraph(t.plain("Theme: {theme}", theme=m.theme))
    doc.add_paragraph(t.plain("Time: {time}", time=show_span(m.starts_at, m.ends_at)))
    doc.add_paragraph(t.plain("Organised by: {committee}", committee=reference.name(committee, t.lang)))
    for venue in await store.venues(conn, m.id):
        doc.add_paragraph(_plain(venue_line(t, venue)), style="List Bullet")
    responses: dict[int, list] = {}
    for r in await store.responses(conn, m.id):
        responses.setdefault(r.statement_id, []).append(r)
    accepted = await store.statements(conn, m.id, status="accepted")
    if not accepted:
        doc.add_paragraph(t.plain("No statement has been accepted yet."))
    for number, s in enumerate(accepted, start=1):
        doc.add_heading(f"{number}. {s.title}", level=1)
        where = await where_from(conn, s, t.lang)
        speaker = t.plain("Speaker: {name}", name=s.name) + (f"（{where}）" if where else "")
        if s.in_person:
            speaker += " · " + t.plain("speaks in person")
        doc.add_paragraph(speaker).runs[0].bold = True
        for part in s.text.split("\n"):
            if part.strip():
                doc.add_paragraph(part.strip())
        for r in responses.get(s.id, []):
            doc.add_heading(t.plain("Response of {department}", department=await _department(conn, r.department_code,
                                                                                             t.lang)), level=2)
            doc.add_paragraph(r.body)
    doc.save(path)


async def _xlsx(ctx: Ctx, m, path: Path, t) -> None:
    conn = ctx.conn
    venues = await store.venues(conn, m.id)
    names = {v.id: venue_name(t, v) for v in venues}
    statements = [[s.position or "", s.id, s.roster_id, s.name, await where_from(conn, s, t.lang), s.title, s.text,
                   t.plain(STATEMENT_STATUS[s.status]), s.note or "", "✓" if s.in_person else "", shown(s.created_at)]
                  for s in await store.statements(conn, m.id)]
    rsvps = [[r.roster_id, r.name, _plain(answer_text(t, r, venues)), shown(r.answered_at) if r.answered_at else ""]
             for r in await store.rsvps(conn, m.id)]
    checkins = [[c.roster_id, c.name, names.get(c.venue_id, t.plain("online (线上参会)")), shown(c.at)]
                for c in await store.checkins(conn, m.id)]
    comments = [[c.number, await author_label(conn, c.member_id, c.named, t.lang), c.text, shown(c.created_at),
                 shown(c.pushed_at) if c.pushed_at else ""] for c in await store.comments(conn, m.id)]
    write_sheets(path, [(t.plain(title), [t.plain(h) for h in header], rows) for (title, header), rows in
                        zip(SHEETS, (statements, rsvps, checkins, comments))])
