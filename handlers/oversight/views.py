"""What members read of oversight: ``/oversight`` (the items I raised, co-signed or inspected, with
their status, and a finding button for an inspection I signed up for once it has begun; the
office's admins and a committee's staff also see the items they follow up), and the other
features' views: /my, the digest's news (items closed in the window), /mydata, the duty record and
the points ledger's events."""

from __future__ import annotations

from handlers.core.context import Ctx, clip
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.core.points import PointEvent, RecordSection
from handlers.oversight.common import (AWAITING_REPLY, CLOSED, RATINGS, STATUS, department_name, esc, may_run,
                                       status_label)
from handlers.oversight.inspections import finding_buttons
from handlers.oversight.office import next_step
from storage import oversight as store

INSPECTION, FINDING = "oversight.inspection", "oversight.finding"
SHOWN_FOR_OFFICE = 10


async def _mine(conn, member) -> tuple[list, dict]:
    """(items I raised, {item id: [inspection rows]} of the linked sessions I signed up for)."""
    every = await store.listing(conn)
    raised = [row for row in every if member.id in row.raisers]
    inspected: dict[int, list] = {}
    for row in await store.inspected_by(conn, member.id):
        inspected.setdefault(row.item_id, []).append(row)
    return raised + [row for row in every if row.id in inspected and row not in raised], inspected


def _line(t, row) -> str:
    line = t("#{id} «{subject}» · {department} · {status}", id=row.id, subject=row.subject,
             department=department_name(row, t.lang), status=t.plain(STATUS[row.status]))
    if row.status in AWAITING_REPLY and row.due_at:
        line += t(" · reply due {due}", due=shown(row.due_at))
    return line


async def cmd_oversight(ctx: Ctx) -> None:
    t = ctx.t
    rows, inspected = await _mine(ctx.conn, ctx.member)
    lines = [t("🔎 <b>Oversight (民主监督)</b>")]
    buttons = []
    for row in rows:
        lines.append("· " + _line(t, row))
        for visit in inspected.get(row.id, []):
            lines.append("  " + t("Inspection «{title}», {time}", title=visit.title, time=shown(visit.starts_at)))
            if visit.starts_at <= ctx.now and visit.session_status != "cancelled" and row.status != CLOSED:
                buttons += finding_buttons(t, [row], visit.session_id)
    if not rows:
        lines.append(t("No oversight item of yours yet: items come from the reports you raised or co-signed and "
                       "the inspections you take part in."))
    running = [row for row in await store.listing(ctx.conn) if row.status != CLOSED and may_run(ctx.member, row)]
    if running:
        lines += ["", t("<b>Items you follow up</b> (linkage oversight show ID):")]
        lines += ["· " + _line(t, row) for row in running[:SHOWN_FOR_OFFICE]]
        buttons += [step for row in running[:SHOWN_FOR_OFFICE] if (step := next_step(t, row))]
    await ctx.reply("\n".join(lines), buttons=buttons)


async def my_part(ctx: Ctx) -> None:
    rows, _ = await _mine(ctx.conn, ctx.member)
    if rows:
        t = ctx.t
        await ctx.reply("\n".join([t("<b>Oversight (民主监督)</b>")] + ["· " + _line(t, row) for row in rows]
                                  + [t("Details: /oversight")]))


async def recent(conn, member, since, until, lang: str, cache: dict) -> list[str]:
    """The digest's news: the oversight items closed in the window."""
    key = ("oversight.closed", since, until)
    if key not in cache:
        cache[key] = await store.closed_between(conn, since, until)
    if not cache[key]:
        return []
    t = translator(lang)
    return ["", t("<b>Oversight items closed (民主监督)</b>")] + [
        f"· <b>{esc(row.subject)}</b> · {esc(department_name(row, t.lang))}" for row in cache[key]]


async def personal_data(conn, member) -> dict:
    return {"oversight_ratings": [{"item": r.item_id, "subject": r.subject, "round": r.round, "rating": r.rating,
                                   "reason": r.reason, "at": r.at} for r in await store.ratings_of(conn, member.id)],
            "oversight_findings": [{"item": r.item_id, "subject": r.subject, "text": r.text, "at": r.at}
                                   for r in await store.findings_of(conn, member.id)]}


async def point_events(conn, since, until) -> list[PointEvent]:
    found = [PointEvent(row.member_id, INSPECTION, "session", str(row.session_id), row.at, row.title[:120])
             for row in await store.inspection_checkins(conn, since, until)]
    found += [PointEvent(row.member_id, FINDING, "finding", str(row.id), row.at, row.subject[:120])
              for row in await store.findings_between(conn, since, until)]
    return found


async def record_part(conn, member, start, end, lang: str) -> list[RecordSection]:
    """Two sections: the items I raised or inspected (with my latest rating), and my findings."""
    t = translator(lang)
    rows, _ = await _mine(conn, member)
    mine = {r.item_id: r for r in await store.ratings_of(conn, member.id)}  # the latest rating per item
    items = [[row.id, row.subject, department_name(row, t.lang), status_label(t.lang, row.status),
              t.plain(N_("raised")) if member.id in row.raisers else t.plain(N_("inspected")),
              t.plain(RATINGS[mine[row.id].rating]) + "：" + mine[row.id].reason if row.id in mine else "",
              shown(row.created_at)]
             for row in rows if start <= row.created_at < end]
    findings = [[r.item_id, r.subject, clip(r.text, 300), shown(r.at)] for r in await store.findings_of(conn, member.id)
                if start <= r.at < end]
    heads = (N_("Item"), N_("Subject"))
    return [RecordSection("oversight", t.plain(N_("Oversight items (民主监督)")),
                          [t.plain(h) for h in (*heads, N_("Department"), N_("Status"), N_("Part"), N_("My rating"),
                                                N_("Opened"))], items),
            RecordSection("oversight_findings", t.plain(N_("Inspection findings (视察发现)")),
                          [t.plain(h) for h in (*heads, N_("Finding"), N_("When"))], findings)]
