"""Notices (通知公告): what the office sent, to whom, and who has read it.

One ``notices`` row per notice, one ``notice_receipts`` row per recipient (written when the
notice is sent, so the audience is frozen at that moment); ``read_at`` is set once, by the
recipient's own press of the Read button.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, members, metadata

notices = Table(
    "notices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("audience", JSON, nullable=False),  # a handlers/audience.py spec
    Column("sender_id", Integer, ForeignKey("members.id")),  # None = sent from the command line
    Column("remind_after_hours", Integer),  # None or 0 = no reminder
    Column("created_at", UTCDateTime, nullable=False),
    Column("reminded_at", UTCDateTime),
)

notice_receipts = Table(
    "notice_receipts", metadata,
    Column("notice_id", Integer, ForeignKey("notices.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("read_at", UTCDateTime),
    Column("reminded_at", UTCDateTime),
)
Index("ix_notice_receipts_member", notice_receipts.c.member_id)


async def create(conn: AsyncConnection, *, title: str, body: str, audience: dict, sender_id: int | None,
                 remind_after_hours: int | None, now: datetime, member_ids: list[int]) -> int:
    result = await conn.execute(notices.insert().values(
        title=title, body=body, audience=audience, sender_id=sender_id,
        remind_after_hours=remind_after_hours, created_at=now))
    notice_id = result.inserted_primary_key[0]
    if member_ids:
        await conn.execute(notice_receipts.insert(), [
            {"notice_id": notice_id, "member_id": m, "sent_at": now} for m in member_ids])
    return notice_id


async def by_id(conn: AsyncConnection, notice_id: int):
    return (await conn.execute(select(notices).where(notices.c.id == notice_id))).first()


async def receipt(conn: AsyncConnection, notice_id: int, member_id: int):
    return (await conn.execute(select(notice_receipts).where(
        notice_receipts.c.notice_id == notice_id, notice_receipts.c.member_id == member_id))).first()


async def of_member(conn: AsyncConnection, member_id: int) -> list:
    """Every notice sent to the member: title, sent_at, read_at, oldest first."""
    return list(await conn.execute(
        select(notices.c.title, notice_receipts.c.sent_at, notice_receipts.c.read_at)
        .join(notices, notices.c.id == notice_receipts.c.notice_id)
        .where(notice_receipts.c.member_id == member_id).order_by(notice_receipts.c.sent_at)))


async def mark_read(conn: AsyncConnection, notice_id: int, member_id: int, now: datetime) -> bool:
    """True if this press recorded the read; False if it was already recorded."""
    result = await conn.execute(update(notice_receipts).where(
        notice_receipts.c.notice_id == notice_id, notice_receipts.c.member_id == member_id,
        notice_receipts.c.read_at.is_(None)).values(read_at=now))
    return bool(result.rowcount)


async def counts(conn: AsyncConnection, notice_id: int) -> tuple[int, int]:
    """(recipients, read)."""
    row = (await conn.execute(select(func.count(), func.count(notice_receipts.c.read_at))
                              .where(notice_receipts.c.notice_id == notice_id))).one()
    return row[0], row[1]


async def unread(conn: AsyncConnection, notice_id: int) -> list:
    """Recipients (member rows) who have not read the notice."""
    return list(await conn.execute(
        select(members).join(notice_receipts, notice_receipts.c.member_id == members.c.id)
        .where(notice_receipts.c.notice_id == notice_id, notice_receipts.c.read_at.is_(None))
        .order_by(members.c.id)))


async def mark_reminded(conn: AsyncConnection, notice_id: int, member_ids: list[int], now: datetime) -> None:
    await conn.execute(update(notices).where(notices.c.id == notice_id).values(reminded_at=now))
    if member_ids:
        await conn.execute(update(notice_receipts).where(
            notice_receipts.c.notice_id == notice_id, notice_receipts.c.member_id.in_(member_ids))
            .values(reminded_at=now))


async def recent(conn: AsyncConnection, limit: int = 20) -> list:
    """The latest notices with their recipient and read counts (newest first)."""
    tally = (select(notice_receipts.c.notice_id, func.count().label("recipients"),
                    func.count(notice_receipts.c.read_at).label("read"))
             .group_by(notice_receipts.c.notice_id).subquery())
    return list(await conn.execute(
        select(notices, func.coalesce(tally.c.recipients, 0).label("recipients"),
               func.coalesce(tally.c.read, 0).label("read"))
        .select_from(notices.outerjoin(tally, tally.c.notice_id == notices.c.id))
        .order_by(notices.c.id.desc()).limit(limit)))
