"""网络议政: topics (议题), contributions and replies (跟帖), their moderation and conclusions.

A reply's ``parent_id`` is always a root contribution (one level of threading); ``number`` counts
a topic's contributions and replies together, so a reply can quote its root's number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import contributions, deliberations, members


async def create(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(deliberations.insert().values(**values))).inserted_primary_key[0]


async def by_id(conn: AsyncConnection, deliberation_id: int, *, lock: bool = False):
    query = select(deliberations).where(deliberations.c.id == deliberation_id)
    return (await conn.execute(query.with_for_update() if lock else query)).first()


async def change(conn: AsyncConnection, deliberation_id: int, **values) -> None:
    await conn.execute(update(deliberations).where(deliberations.c.id == deliberation_id).values(**values))


async def listing(conn: AsyncConnection, statuses: tuple[str, ...] | None = None) -> list:
    """Topics, newest first (all, or those in ``statuses``)."""
    query = select(deliberations).order_by(deliberations.c.id.desc())
    if statuses:
        query = query.where(deliberations.c.status.in_(statuses))
    return list(await conn.execute(query))


async def closing_between(conn: AsyncConnection, start: datetime, end: datetime) -> list:
    return list(await conn.execute(select(deliberations).where(
        deliberations.c.status == "open", deliberations.c.closes_at >= start, deliberations.c.closes_at < end)
        .order_by(deliberations.c.closes_at)))


async def concluded_between(conn: AsyncConnection, since: datetime, until: datetime) -> list:
    return list(await conn.execute(select(deliberations).where(
        deliberations.c.concluded_at >= since, deliberations.c.concluded_at < until)
        .order_by(deliberations.c.concluded_at)))


async def staff_of(conn: AsyncConnection, committee_code: str) -> list:
    """The committee's staff (专委会工作人员) the bot can write to."""
    return list(await conn.execute(select(members).where(
        members.c.role == "staff", members.c.committee_code == committee_code, members.c.active.is_(True),
        members.c.telegram_user_id.is_not(None)).order_by(members.c.id)))


# --- contributions ---------------------------------------------------------------------

async def add(conn: AsyncConnection, deliberation_id: int, **values) -> int:
    number = (await conn.execute(select(func.coalesce(func.max(contributions.c.number), 0))
                                 .where(contributions.c.deliberation_id == deliberation_id))).scalar_one() + 1
    return (await conn.execute(contributions.insert().values(
        deliberation_id=deliberation_id, number=number, **values))).inserted_primary_key[0]


async def contribution(conn: AsyncConnection, contribution_id: int):
    return (await conn.execute(select(contributions).where(contributions.c.id == contribution_id))).first()


async def change_contribution(conn: AsyncConnection, contribution_id: int, **values) -> None:
    await conn.execute(update(contributions).where(contributions.c.id == contribution_id).values(**values))


async def unpin_all(conn: AsyncConnection, deliberation_id: int) -> None:
    await conn.execute(update(contributions).where(contributions.c.deliberation_id == deliberation_id)
                       .values(pinned=False))


async def last_at(conn: AsyncConnection, member_id: int) -> datetime | None:
    """When the member last contributed (to any topic), withdrawn ones included."""
    return (await conn.execute(select(func.max(contributions.c.created_at))
                               .where(contributions.c.member_id == member_id))).scalar()


async def visible(conn: AsyncConnection, deliberation_id: int) -> list:
    """The topic's visible contributions and replies with their authors' details, oldest first."""
    return await _with_authors(conn, contributions.c.deliberation_id == deliberation_id,
                               contributions.c.status == "visible")


async def not_withdrawn(conn: AsyncConnection, deliberation_id: int) -> list:
    """Everything said on the topic but what the authors withdrew (the committee's export)."""
    return await _with_authors(conn, contributions.c.deliberation_id == deliberation_id,
                               contributions.c.status != "withdrawn")


async def with_author(conn: AsyncConnection, contribution_id: int):
    rows = await _with_authors(conn, contributions.c.id == contribution_id)
    return rows[0] if rows else None


async def _with_authors(conn: AsyncConnection, *where) -> list:
    return list(await conn.execute(
        select(contributions, members.c.name, members.c.roster_id, members.c.level, members.c.district_code,
               members.c.sector_code)
        .join(members, members.c.id == contributions.c.member_id).where(*where).order_by(contributions.c.id)))


async def of_member(conn: AsyncConnection, member_id: int) -> list:
    """The member's contributions with their topics' titles, oldest first (/my, /mydata)."""
    return list(await conn.execute(
        select(contributions, deliberations.c.title)
        .join(deliberations, deliberations.c.id == contributions.c.deliberation_id)
        .where(contributions.c.member_id == member_id).order_by(contributions.c.id)))
