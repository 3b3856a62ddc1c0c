"""``linkage oversight export --year YYYY``: a workbook of the items opened that year (Asia/Shanghai)
— the items, every step, the departments' replies, the members' ratings, the inspections and their
findings; every cell through handlers/core/cells.py. A rating by the author of a report that was
not submitted under their name is shown as "anonymous member": the export never reveals them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from handlers.core.cells import write_sheets
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_at, shown
from handlers.oversight.common import RATINGS, SOURCES, department_name, status_label
from storage import items as report_store
from storage import oversight as store


async def source_of(conn, row) -> tuple[str, object]:
    """The source's reference (a report's code, a statement's number) and the report, if any."""
    if row.source_kind == "report":
        report = await report_store.by_id(conn, row.source_id)
        return report.code, report
    if row.source_kind == "statement":
        return f"#{row.source_id}", None
    return "", None


def actor_shown(actor: str, hidden_author: int | None, say) -> str:
    """Who took a step; the hidden author of a report (a 不满意 that reopened it) stays anonymous."""
    return say(N_("anonymous member")) if hidden_author is not None and actor == f"member:{hidden_author}" else actor


async def write_export(conn, year: int, path: Path, lang: str = "zh") -> int:
    """Writes the workbook; returns how many items it holds."""
    t = translator(lang)
    p = t.plain
    rows = await store.listing(conn, year_start=local_at(date(year, 1, 1), "00:00"),
                               year_end=local_at(date(year + 1, 1, 1), "00:00"))
    items, steps, replies, ratings, visits = [], [], [], [], []
    for row in reversed(rows):
        ref, report = await source_of(conn, row)
        hidden_author = report.author_id if report is not None and report.privacy != "named" else None
        items.append([row.id, row.subject, department_name(row, t.lang), p(SOURCES[row.source_kind]), ref,
                      row.committee_code or "", row.promise, status_label(t.lang, row.status), row.round,
                      row.due_days, shown(row.due_at) if row.due_at else "", shown(row.created_at),
                      shown(row.closed_at) if row.closed_at else ""])
        for s in await store.steps(conn, row.id):
            steps.append([row.id, status_label(t.lang, s.status_from) if s.status_from else "",
                          status_label(t.lang, s.status_to), actor_shown(s.actor, hidden_author, p), s.reason,
                          shown(s.at)])
        for r in await store.replies(conn, row.id):
            replies.append([row.id, r.round, r.text, r.file_name or "", r.recorded_by, shown(r.at)])
        for r in await store.ratings(conn, row.id):
            who = p(N_("anonymous member")) if r.member_id == hidden_author else f"{r.roster_id} {r.name}"
            ratings.append([row.id, r.round, who, p(RATINGS[r.rating]), r.reason, shown(r.at)])
        for s in await store.sessions_of(conn, row.id):
            visits.append([row.id, s.id, s.title, shown(s.starts_at), "", "", ""])
        for f in await store.findings(conn, row.id):
            visits.append([row.id, f.session_id, f.session_title, "", f"{f.roster_id} {f.name}", f.text, shown(f.at)])
    heads = [p(N_("Item"))]
    write_sheets(path, [
        (p(N_("Oversight items")), heads + [p(h) for h in (
            N_("Subject"), N_("Department"), N_("Source"), N_("Reference"), N_("Committee"), N_("What was promised"),
            N_("Status"), N_("Round"), N_("Working days to reply"), N_("Reply due"), N_("Opened"), N_("Closed"))],
         items),
        (p(N_("Steps")), heads + [p(h) for h in (N_("From"), N_("To"), N_("By"), N_("Why"), N_("When"))], steps),
        (p(N_("Department replies")), heads + [p(h) for h in (N_("Round"), N_("Reply"), N_("Document"),
                                                               N_("Recorded by"), N_("When"))], replies),
        (p(N_("Ratings")), heads + [p(h) for h in (N_("Round"), N_("Member"), N_("Rating"), N_("Reason"),
                                                    N_("When"))], ratings),
        (p(N_("Inspections")), heads + [p(h) for h in (N_("Session"), N_("Title"), N_("Starts"), N_("Member"),
                                                        N_("Finding"), N_("When"))], visits),
    ])
    return len(items)
