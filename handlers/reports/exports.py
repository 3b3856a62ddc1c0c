"""Exports for the office (PRODUCT.md §11): the reports submitted in a period as one table, CSV
or XLSX, every cell plain text (handlers/cells.py: no member's text can become a formula). An
anonymous author stays anonymous in the file unless the office asks to reveal them; every
export is written to the audit log with its filters and whether names were revealed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from handlers.reports import chain, lifecycle
from handlers.core.errors import AdminError
from handlers.core.cells import write_table
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_at, shown
from storage import audit, people, reference
from storage import cosign as cosign_store
from storage import items as item_store
from storage import outcomes as outcome_store
from storage import targets as target_store

COLUMNS = (N_("Code"), N_("Title (标题)"), N_("Submitted"), N_("Topic"), N_("Tags"), N_("Area"), N_("District"),
           N_("Street"), N_("Submitted by"), N_("Observation (情况)"), N_("Analysis (分析)"), N_("Suggestion (建议)"),
           N_("Co-signed by (联名)"), N_("Status"), N_("Outcome (办理结果)"), N_("Merged into"), N_("Handled at"),
           N_("Closed"))
FORMATS = (".csv", ".xlsx")


def _shown(moment: datetime | None) -> str:
    return shown(moment) if moment else ""


async def report_rows(conn, start: date, end: date, *, district: str | None = None, reveal_anonymous: bool = False,
                      lang: str = "zh") -> list[list[str]]:
    """One row per report submitted from ``start`` to ``end`` (Asia/Shanghai days, inclusive)."""
    t = translator(lang)
    rows = []
    since, until = local_at(start, time()), local_at(end + timedelta(days=1), time())
    found = await item_store.submitted_between(conn, since, until, district)
    chains = await outcome_store.chains(conn, [item.id for item in found])
    for item in found:
        author = await people.by_id(conn, item.author_id)
        who = author.name
        if item.privacy == "anonymous":
            who = t.plain("{name} (anonymous)", name=author.name) if reveal_anonymous else t.plain("anonymous member")
        places = [reference.name(await target_store.by_id(conn, p.target_id), lang)
                  for p in await item_store.placements(conn, item.id)]
        signed = [r.name for r in await cosign_store.of_item(conn, item.id) if r.status == "signed"]
        topic, place, street = [await reference.name_of(conn, lookup, code, lang) or "" for lookup, code in (
            (reference.topic, item.topic_code), (reference.district, item.district_code),
            (reference.street, item.street_code))]
        tags = "、".join(reference.name(tag, lang) for tag in await item_store.tags_of(conn, item.id))
        rows.append([item.code, item.title or "", _shown(item.created_at), topic, tags,
                     t.plain(lifecycle.AREA_LABELS[item.area]), place,
                     street, who, item.observation, item.analysis or "", item.suggestion, "、".join(signed),
                     lifecycle.status_label(item.status, lang), chain.chain_text(chains.get(item.id, []), lang),
                     await lifecycle.merged_into(conn, item), "、".join(places), _shown(item.closed_at)])
    return rows


async def export_reports(conn, path: Path, start: date, end: date, now: datetime, *, district: str | None = None,
                         reveal_anonymous: bool = False, lang: str = "zh", actor: str = "cli") -> int:
    """Write the period's reports to ``path`` (.csv or .xlsx); returns how many were written."""
    if path.suffix.lower() not in FORMATS:
        raise AdminError("the file must end in {formats}: {name}",
                         formats=" or ".join(FORMATS), name=path.name)
    if end < start:
        raise AdminError("the period ends ({end}) before it starts ({start})", end=end, start=start)
    if district is not None and await reference.district(conn, district) is None:
        raise AdminError("no district with the code {district!r} (see seeds/districts.yaml)",
                         district=district)
    rows = await report_rows(conn, start, end, district=district, reveal_anonymous=reveal_anonymous, lang=lang)
    t = translator(lang)
    write_table(path, [t.plain(column) for column in COLUMNS], rows)
    await audit.record(conn, actor, "export.reports", {"from": start.isoformat(), "to": end.isoformat(),
                                                       "district": district, "rows": len(rows),
                                                       "reveal_anonymous": reveal_anonymous}, now)
    return len(rows)
