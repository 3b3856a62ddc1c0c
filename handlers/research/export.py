"""A project's workbook (``linkage research export ID --out F.xlsx``): the project and its steps,
every answer to the call, the findings, the field visits with who checked in. Cells go through
handlers/core/cells.py, so no member's text becomes a formula."""

from __future__ import annotations

from pathlib import Path

from handlers.core.cells import write_sheets
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.research.common import STEP_LABELS, committee_name
from storage import research as store
from storage import study as study_store


ANSWERS = {"joined": N_("taking part"), "declined": N_("not taking part"), "left": N_("left")}


def _when(moment) -> str:
    return shown(moment) if moment else ""


async def write_export(conn, project, path: Path, lang: str = "zh") -> int:
    """Writes the workbook; returns the number of findings in it."""
    t = translator(lang)
    h = lambda *msgids: [t.plain(m) for m in msgids]  # noqa: E731
    details = [[t.plain(N_("Project")), project.title],
               [t.plain(N_("Committee")), await committee_name(conn, project.committee_code, lang)],
               [t.plain(N_("Goal")), project.goal],
               *[[t.plain(N_("Question {n}"), n=n), q] for n, q in enumerate(project.questions, 1)],
               [t.plain(N_("Places")), project.capacity or ""],
               [t.plain(N_("Opened")), _when(project.created_at)],
               [t.plain(N_("Research paper delivered")), _when(project.reported_at)],
               [t.plain(N_("Paper")), project.report_name or ""],
               [t.plain(N_("Summary")), project.report_summary or ""]]
    steps = [[t.plain(STEP_LABELS[m.step]), _when(m.due_at), _when(m.done_at)]
             for m in await store.milestones(conn, project.id)]
    attended = await store.visits_attended(conn, project.id)
    findings = await store.findings(conn, project.id)
    per_member: dict[int, int] = {}
    for f in findings:
        per_member[f.member_id] = per_member.get(f.member_id, 0) + 1
    answers = [[a.roster_id, a.name, t.plain(ANSWERS.get(a.status, a.status)), _when(a.joined_at), _when(a.left_at), per_member.get(a.member_id, 0),
                attended.get(a.member_id, 0)] for a in await store.answers(conn, project.id)]
    finding_rows = [[f.id, _when(f.created_at), f.roster_id, f.name, f.text, f.file_kind or ""] for f in findings]
    visit_rows = []
    for v in await store.visits(conn, project.id):
        rsvps = await study_store.rsvps(conn, v.id)
        visit_rows.append([v.id, v.title, _when(v.starts_at), _when(v.ends_at), v.place or v.link or "",
                           sum(r.status == "attending" for r in rsvps),
                           sum(r.checked_in_at is not None for r in rsvps)])
    write_sheets(path, [
        (t.plain(N_("Project")), h(N_("Field"), N_("Value")), details),
        (t.plain(N_("Steps")), h(N_("Step"), N_("Due"), N_("Done")), steps),
        (t.plain(N_("Participants")), h(N_("Roster id"), N_("Name"), N_("Answer"), N_("Joined"), N_("Left"),
                                        N_("Findings"), N_("Field visits attended")), answers),
        (t.plain(N_("Findings")), h(N_("No."), N_("Sent"), N_("Roster id"), N_("Name"), N_("Finding"), N_("File")),
         finding_rows),
        (t.plain(N_("Field visits")), h(N_("Session"), N_("Visit"), N_("Starts"), N_("Ends"), N_("Place"),
                                        N_("Attending"), N_("Checked in")), visit_rows),
    ])
    return len(findings)
