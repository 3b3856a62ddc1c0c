"""Co-signers (联名) of a report: fellow members the author names, each asked to confirm."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, items, members, metadata

item_cosigners = Table(
    "item_cosigners", metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("status", String(12), nullable=False),  # invited | signed | declined
    Column("invited_at", UTCDateTime, nullable=False),
    Column("answered_at", UTCDateTime),
)
Index("ix_item_cosigners_member", item_cosigners.c.member_id)  # what a member was asked to co-sign


async def invite(conn: AsyncConnection, item_id: int, member_ids: list[int], now: datetime) -> None:
    if member_ids:
        await conn.execute(item_cosigners.insert(), [{"item_id": item_id, "member_id": m, "status": "invited",
                                                      "invited_at": now} for m in member_ids])


async def of_item(conn: AsyncConnection, item_id: int) -> list:
    """The item's co-signers with their names, in the order the author named them."""
    return list(await conn.execute(
        select(item_cosigners, members.c.name).join(members, members.c.id == item_cosigners.c.member_id)
        .where(item_cosigners.c.item_id == item_id).order_by(item_cosigners.c.invited_at, members.c.id)))


async def taken(conn: AsyncConnection, item_ids: list[int]) -> dict[int, set[int]]:
    """For each of these items, the members asked to co-sign it or signed (not those who declined)."""
    found: dict[int, set[int]] = {item_id: set() for item_id in item_ids}
    if item_ids:
        for item_id, member_id in await conn.execute(
                select(item_cosigners.c.item_id, item_cosigners.c.member_id).where(
                    item_cosigners.c.item_id.in_(item_ids), item_cosigners.c.status != "declined")):
            found[item_id].add(member_id)
    return found


async def answer(conn: AsyncConnection, item_id: int, member_id: int, status: str, now: datetime) -> bool:
    """Record a co-signer's answer; False unless they were invited and had not answered."""
    result = await conn.execute(update(item_cosigners).where(
        item_cosigners.c.item_id == item_id, item_cosigners.c.member_id == member_id,
        item_cosigners.c.status == "invited").values(status=status, answered_at=now))
    return result.rowcount == 1


async def of_member(conn: AsyncConnection, member_id: int) -> list:
    """Reports the member was asked to co-sign: code, status, invited_at, answered_at."""
    return list(await conn.execute(
        select(items.c.code, item_cosigners.c.status, item_cosigners.c.invited_at, item_cosigners.c.answered_at)
        .join(items, items.c.id == item_cosigners.c.item_id)
        .where(item_cosigners.c.member_id == member_id).order_by(item_cosigners.c.invited_at)))


async def sign_up(conn: AsyncConnection, item_id: int, member_id: int, now: datetime) -> bool:
    """A member joins a report as co-signer on their own (signed at once; an earlier invitation or
    refusal becomes a signature). False when they had signed already."""
    row = (await conn.execute(select(item_cosigners.c.status).where(
        item_cosigners.c.item_id == item_id, item_cosigners.c.member_id == member_id))).first()
    if row is None:
        await conn.execute(item_cosigners.insert().values(item_id=item_id, member_id=member_id, status="signed",
                                                          invited_at=now, answered_at=now))
        return True
    if row.status == "signed":
        return False
    await conn.execute(update(item_cosigners).where(
        item_cosigners.c.item_id == item_id, item_cosigners.c.member_id == member_id)
        .values(status="signed", answered_at=now))
    return True
