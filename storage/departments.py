"""Departments (承办单位): the bodies a report is transferred to (转办) and hears back from (反馈).
Seeded from seeds/departments.yaml, then the office's to keep (``linkage department``): a
department is retired, never deleted, so the outcome chains that name it keep their names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, metadata

departments = Table(
    "departments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(48), nullable=False, unique=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(128), nullable=False),
    Column("district_code", String(32), ForeignKey("districts.code")),  # None: a city department
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)


async def listed(conn: AsyncConnection, *, active_only: bool = True) -> list:
    """City departments first, then each district's, in the order they were added."""
    query = select(departments)
    if active_only:
        query = query.where(departments.c.active.is_(True))
    return list(await conn.execute(query.order_by(departments.c.district_code.is_not(None),
                                                  departments.c.district_code, departments.c.id)))


async def for_district(conn: AsyncConnection, district_code: str | None) -> list:
    """The active departments a report of that district may go to: the city's and its district's."""
    return [d for d in await listed(conn) if d.district_code in (None, district_code)]


async def by_id(conn: AsyncConnection, department_id: int):
    return (await conn.execute(select(departments).where(departments.c.id == department_id))).first()


async def by_code(conn: AsyncConnection, code: str):
    return (await conn.execute(select(departments).where(departments.c.code == code))).first()


async def add(conn: AsyncConnection, now: datetime, **values) -> int:
    return (await conn.execute(departments.insert().values(created_at=now, active=True, **values))
            ).inserted_primary_key[0]


async def change(conn: AsyncConnection, department_id: int, **values) -> None:
    await conn.execute(update(departments).where(departments.c.id == department_id).values(**values))


async def add_missing(conn: AsyncConnection, rows: list[dict], now: datetime) -> int:
    """The seed's departments not in the table yet (by code); the office's renames and
    retirements are kept. Returns how many were added."""
    known = {r.code for r in await conn.execute(select(departments.c.code))}
    new = [row for row in rows if row["code"] not in known]
    for row in new:
        await add(conn, now, **row)
    return len(new)
