"""The office's view of points: the leaderboard per district, level or sector for any period,
and the year's export (members × rules, and the ledger). Members who did not opt in to see their
rank are still ranked here — the office sees everyone; no member ever sees another's points."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from handlers.core.cells import write_sheets
from handlers.core.localtime import local
from handlers.points import ledger
from storage import points as store
from storage import reference

GROUPINGS = {"district": ("district_code", "district"), "level": ("level", None), "sector": ("sector_code", "sector")}


def window(start: date | None, end: date | None, now: datetime) -> tuple[datetime, datetime]:
    """[start, end] as local dates (default: this year so far) as a UTC [start, end) window."""
    first, _ = ledger.year_of(local(now).year)
    return (ledger.day_start(start) if start else first,
            ledger.day_start(end, days=1) if end else ledger.day_start(local(now).date(), days=1))


async def standings(conn, start: datetime, end: datetime, within: str | None = None) -> list:
    """Every active member's total of the window (``within``: one district's members only)."""
    return [row for row in await store.standings(conn, start, end) if within is None or row.district_code == within]


async def board(conn, by: str, start: datetime, end: datetime, *, top: int = 10,
                within: str | None = None) -> list[tuple[str, list]]:
    """[(group name, its top members — roster_id, name, total)], groups by name; members
    without a group (a city member has no district) under "-"; ``within``: one district's members."""
    column, kind = GROUPINGS[by]
    names = {row.code: reference.name(row, "zh") for row in await reference.rows_of(conn, kind)} if kind else {}
    groups: dict[str, list] = defaultdict(list)
    for row in await standings(conn, start, end, within):
        code = getattr(row, column)
        groups[names.get(code, code) if code else "-"].append(row)
    return [(name, rows[:top]) for name, rows in sorted(groups.items())]


async def export_year(conn, year: int, dest, *, within: str | None = None) -> tuple[int, int]:
    """The year's workbook: totals (a member per row, a column per rule) and the ledger sheet;
    returns (members, entries). ``within``: one district's members only."""
    start, end = ledger.year_of(year)
    rules = await store.rules(conn)
    keys = [*rules, ledger.CORRECTION_RULE]
    ranked = await standings(conn, start, end, within)
    ours = {row.id for row in ranked}
    entries = [e for e in await store.between(conn, start, end) if within is None or e.member_id in ours]
    per_member: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        per_member[entry.member_id][entry.rule_key] += entry.amount
    totals = [[row.roster_id, row.name, *(per_member[row.id][key] for key in keys), row.total] for row in ranked]
    ledger_rows = [[e.roster_id, e.name, local(e.occurred_at).strftime("%Y-%m-%d %H:%M"), e.rule_key, e.kind,
                    e.amount, e.reason, local(e.recorded_at).strftime("%Y-%m-%d %H:%M"), e.actor or ""]
                   for e in entries]
    labels = [rules[key].label_zh if key in rules else "更正" for key in keys]
    write_sheets(dest, [(f"积分 {year}", ["编号", "姓名", *labels, "合计"], totals),
                        ("明细", ["编号", "姓名", "时间", "规则", "类型", "分值", "事由", "记录时间", "操作人"],
                         ledger_rows)])
    return len(totals), len(ledger_rows)
