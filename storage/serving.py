"""Serving members (服务委员): the new member's guide (/guide: pages the office writes, one row
per page and language) and the contact directory (/contacts: the liaison office, each district's
liaison group, each committee's office)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String, Table, Text, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, metadata

guide_pages = Table(
    "guide_pages", metadata,
    Column("key", String(32), nullable=False),  # study | skills | proposal | sqmy | checklist …
    Column("lang", String(8), nullable=False),  # zh | en
    Column("position", Integer, nullable=False),  # the index's order
    Column("title", String(64), nullable=False),
    Column("body", Text, nullable=False),  # the office's text (a small Markdown: # heading, **bold**, - item)
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),  # "seed", "cli"
    PrimaryKeyConstraint("key", "lang"),
)

contacts = Table(
    "contacts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(12), nullable=False),  # office | district | committee
    Column("code", String(48)),  # the district's or committee's code (None for the office)
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(150), nullable=False),
    Column("phone", String(40)),
    Column("email", String(100)),
    Column("address", String(200)),
    Column("hours", String(100)),  # office hours, as written
    Column("note", String(300)),
    Column("position", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
)


# --- the guide -------------------------------------------------------------------------------

async def guide_index(conn: AsyncConnection) -> list:
    """Every page in every language, in the index's order."""
    return list(await conn.execute(select(guide_pages).order_by(guide_pages.c.position, guide_pages.c.key,
                                                                guide_pages.c.lang)))


async def guide_page(conn: AsyncConnection, key: str, lang: str):
    return (await conn.execute(select(guide_pages).where(guide_pages.c.key == key,
                                                         guide_pages.c.lang == lang))).first()


async def put_guide_page(conn: AsyncConnection, key: str, lang: str, now: datetime, *, title: str, body: str,
                         actor: str, position: int | None = None) -> None:
    """Write one page in one language (added when new)."""
    found = await guide_page(conn, key, lang)
    if found is None:
        if position is None:
            same = (await conn.execute(select(guide_pages.c.position).where(guide_pages.c.key == key))).first()
            position = same.position if same else (await conn.execute(
                select(func.coalesce(func.max(guide_pages.c.position), 0)))).scalar_one() + 10
        await conn.execute(guide_pages.insert().values(key=key, lang=lang, position=position, title=title, body=body,
                                                       updated_at=now, updated_by=actor))
    else:
        await conn.execute(update(guide_pages).where(guide_pages.c.key == key, guide_pages.c.lang == lang)
                           .values(title=title, body=body, updated_at=now, updated_by=actor))


async def add_missing_guide_pages(conn: AsyncConnection, rows: list[dict], now: datetime) -> int:
    """The seed's pages not in the table yet (by page and language); the office's texts are kept."""
    known = {(row.key, row.lang) for row in await guide_index(conn)}
    fresh = [{**row, "updated_at": now, "updated_by": "seed"} for row in rows if (row["key"], row["lang"]) not in known]
    if fresh:
        await conn.execute(guide_pages.insert(), fresh)
    return len(fresh)


# --- the contact directory -------------------------------------------------------------------

async def contact_list(conn: AsyncConnection) -> list:
    """Every entry: the office first, then the districts, then the committees, each in its order."""
    scope_order = {"office": 0, "district": 1, "committee": 2}
    rows = list(await conn.execute(select(contacts).order_by(contacts.c.position, contacts.c.id)))
    return sorted(rows, key=lambda row: scope_order.get(row.scope, 3))


async def contact(conn: AsyncConnection, contact_id: int):
    return (await conn.execute(select(contacts).where(contacts.c.id == contact_id))).first()


async def contact_named(conn: AsyncConnection, scope: str, code: str | None, name_zh: str):
    query = select(contacts).where(contacts.c.scope == scope, contacts.c.name_zh == name_zh)
    query = query.where(contacts.c.code.is_(None) if code is None else contacts.c.code == code)
    return (await conn.execute(query)).first()


async def add_contact(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(contacts.insert().values(**values))).inserted_primary_key[0]


async def change_contact(conn: AsyncConnection, contact_id: int, **values) -> None:
    await conn.execute(update(contacts).where(contacts.c.id == contact_id).values(**values))


async def delete_contact(conn: AsyncConnection, contact_id: int) -> None:
    await conn.execute(delete(contacts).where(contacts.c.id == contact_id))


async def contact_count(conn: AsyncConnection) -> int:
    return (await conn.execute(select(func.count()).select_from(contacts))).scalar_one()
