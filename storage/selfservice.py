"""A member's self-service (handlers/selfservice/): the phone number they gave themselves, and the
yearly summaries queued (one per member and year: the key that keeps a summary from going twice)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, members, metadata

member_phones = Table(  # the member's own phone (their latest); the change itself is in the audit log
    "member_phones", metadata,
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("phone", String(24), nullable=False),  # normalised: +86 and digits, or a landline 022-…
    Column("source", String(8), nullable=False),  # typed | contact (Telegram's shared contact)
    Column("updated_at", UTCDateTime, nullable=False),
)

year_summaries = Table(  # one row per member and year once their summary is queued
    "year_summaries", metadata,
    Column("year", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("queued_at", UTCDateTime, nullable=False),
)


async def phone(conn: AsyncConnection, member_id: int):
    return (await conn.execute(select(member_phones).where(member_phones.c.member_id == member_id))).first()


async def set_phone(conn: AsyncConnection, member_id: int, number: str, source: str, now: datetime) -> None:
    await conn.execute(member_phones.delete().where(member_phones.c.member_id == member_id))
    await conn.execute(member_phones.insert().values(member_id=member_id, phone=number, source=source,
                                                     updated_at=now))


async def phones(conn: AsyncConnection, district_code: str | None = None) -> list:
    """Members with a phone they gave (the office's list), by roster id; optionally one district's."""
    query = (select(members.c.roster_id, members.c.name, members.c.district_code, member_phones.c.phone,
                    member_phones.c.source, member_phones.c.updated_at)
             .join(member_phones, member_phones.c.member_id == members.c.id).order_by(members.c.roster_id))
    if district_code is not None:
        query = query.where(members.c.district_code == district_code)
    return list(await conn.execute(query))


async def summarised(conn: AsyncConnection, year: int) -> set[int]:
    """The members whose summary of ``year`` is already queued."""
    rows = await conn.execute(select(year_summaries.c.member_id).where(year_summaries.c.year == year))
    return {member_id for (member_id,) in rows}


async def mark_summarised(conn: AsyncConnection, year: int, member_id: int, now: datetime) -> bool:
    """True if this call marked it (False: it was already queued). The primary key refuses a
    second row, so two firings at once cannot both mark it: the later transaction fails."""
    found = await conn.execute(select(year_summaries.c.member_id).where(
        year_summaries.c.year == year, year_summaries.c.member_id == member_id))
    if found.first() is not None:
        return False
    await conn.execute(year_summaries.insert().values(year=year, member_id=member_id, queued_at=now))
    return True
