"""China's working-day calendar: public holidays and make-up workdays (调休), in a table the
office can update.

Why a table and not the ``chinese-calendar`` package at run time: the package is well kept
and knows every holiday and 调休 day the State Council has announced, but it only changes
with a release, after the announcement (usually in November for the next year), and the
office cannot correct it. Deadlines must follow what the office says — a local arrangement,
an announcement the package does not know yet, a mistake. So the runtime reads only this
table; ``seeds/holidays.yaml`` fills it (2025–2027, checked against chinese-calendar 1.11
for 2025 and 2026 at development time), and ``linkage holidays add|remove`` (or ``/holidays``
in chat, for office admins) edits it.

A row says what one date is: ``holiday`` (off, even on a weekday), ``workday`` (a make-up
working day, even on a weekend) or ``normal`` (the office removed an entry: the weekday rule
applies, and a re-seed does not bring the entry back). Dates without a row follow the weekday
rule: Monday–Friday work, Saturday and Sunday off. ``source`` is ``seed`` or ``office``: the
seed loader updates and prunes only its own rows, never the office's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Column, Date, String, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, metadata

KINDS = ("holiday", "workday")
NAME_LIMIT = 64

calendar_days = Table(
    "calendar_days", metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(8), nullable=False),  # holiday | workday | normal
    Column("name", String(NAME_LIMIT), nullable=False, default=""),
    Column("source", String(8), nullable=False),  # seed | office
    Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class WorkCalendar:
    """Which dates are working days: the weekday rule, corrected by the table."""

    off: frozenset[date] = frozenset()  # holidays
    on: frozenset[date] = frozenset()  # make-up workdays

    def is_working_day(self, day: date) -> bool:
        if day in self.on:
            return True
        if day in self.off:
            return False
        return day.weekday() < 5

    @classmethod
    def from_rows(cls, rows) -> "WorkCalendar":
        rows = list(rows)
        return cls(off=frozenset(r.day for r in rows if r.kind == "holiday"),
                   on=frozenset(r.day for r in rows if r.kind == "workday"))


_DAYS = select(calendar_days.c.day, calendar_days.c.kind)  # built once: every deadline reads it


async def load(conn: AsyncConnection) -> WorkCalendar:
    return WorkCalendar.from_rows(await conn.execute(_DAYS))


async def days(conn: AsyncConnection, year: int | None = None) -> list:
    query = select(calendar_days).order_by(calendar_days.c.day)
    if year is not None:
        query = query.where(calendar_days.c.day >= date(year, 1, 1), calendar_days.c.day <= date(year, 12, 31))
    return list(await conn.execute(query))


async def get(conn: AsyncConnection, day: date):
    return (await conn.execute(select(calendar_days).where(calendar_days.c.day == day))).first()


async def put(conn: AsyncConnection, day: date, kind: str, name: str, source: str, now: datetime) -> None:
    """Insert or replace the row of one date."""
    values = dict(kind=kind, name=name[:NAME_LIMIT], source=source, updated_at=now)
    if await get(conn, day) is None:
        await conn.execute(calendar_days.insert().values(day=day, **values))
    else:
        await conn.execute(update(calendar_days).where(calendar_days.c.day == day).values(**values))


# --- the seed file ---------------------------------------------------------------------

def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def seed_rows(data: dict) -> list[dict]:
    """holidays.yaml → one dict per date: {day, kind, name}. Ranges are expanded; a date
    listed twice is an error."""
    rows: dict[date, dict] = {}

    def add(day: date, kind: str, name: str) -> None:
        if day in rows:
            raise ValueError(f"seeds: holidays.yaml lists {day} twice")
        rows[day] = {"day": day, "kind": kind, "name": str(name)[:NAME_LIMIT]}

    for year, section in (data.get("years") or {}).items():
        for entry in section.get("holidays") or []:
            first = _date(entry.get("from", entry.get("date")))
            last = _date(entry.get("to", first))
            if first.year != int(year) or last < first or (last - first).days > 31:
                raise ValueError(f"seeds: holidays.yaml: bad holiday range {first}..{last} in {year}")
            for offset in range((last - first).days + 1):
                add(first + timedelta(days=offset), "holiday", entry["name"])
        for entry in section.get("workdays") or []:
            day = _date(entry["date"])
            if day.year != int(year):
                raise ValueError(f"seeds: holidays.yaml: workday {day} listed under {year}")
            add(day, "workday", entry["name"])
    return sorted(rows.values(), key=lambda r: r["day"])


async def sync_seed(conn: AsyncConnection, rows: list[dict], now: datetime) -> int:
    """Make the seed's rows match the file; rows the office wrote are left alone.
    Idempotent; returns how many dates the seed file holds."""
    existing = {r.day: r for r in await conn.execute(select(calendar_days))}
    wanted = {r["day"] for r in rows}
    for row in rows:
        old = existing.get(row["day"])
        if old is None:
            await conn.execute(calendar_days.insert().values(source="seed", updated_at=now, **row))
        elif old.source == "seed" and (old.kind, old.name) != (row["kind"], row["name"]):
            await conn.execute(update(calendar_days).where(calendar_days.c.day == row["day"])
                               .values(kind=row["kind"], name=row["name"], updated_at=now))
    stale = [day for day, r in existing.items() if r.source == "seed" and day not in wanted]
    if stale:
        await conn.execute(delete(calendar_days).where(calendar_days.c.day.in_(stale)))
    return len(rows)
