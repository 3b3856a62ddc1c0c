"""Reference data loaded from seeds: districts, streets, sectors, committees, the topic menu's
domains and topics, and tags."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import committees, districts, domains, sectors, streets, tags, topics

TABLES = {"district": districts, "street": streets, "sector": sectors, "committee": committees,
          "topic": topics, "domain": domains, "tag": tags}


async def all_topics(conn: AsyncConnection) -> list:
    return list(await conn.execute(select(topics).order_by(topics.c.position)))


async def topics_of(conn: AsyncConnection, domain_code: str) -> list:
    return list(await conn.execute(select(topics).where(topics.c.domain == domain_code).order_by(topics.c.position)))


async def all_domains(conn: AsyncConnection) -> list:
    return list(await conn.execute(select(domains).order_by(domains.c.position)))


async def domain(conn: AsyncConnection, code: str):
    return (await conn.execute(select(domains).where(domains.c.code == code))).first()


async def all_tags(conn: AsyncConnection) -> list:
    return list(await conn.execute(select(tags).order_by(tags.c.position)))


async def tag(conn: AsyncConnection, code: str):
    return (await conn.execute(select(tags).where(tags.c.code == code))).first()


async def topic(conn: AsyncConnection, code: str):
    return (await conn.execute(select(topics).where(topics.c.code == code))).first()


async def all_districts(conn: AsyncConnection) -> list:
    return list(await conn.execute(select(districts).order_by(districts.c.code)))


async def district(conn: AsyncConnection, code: str):
    return (await conn.execute(select(districts).where(districts.c.code == code))).first()


async def streets_of(conn: AsyncConnection, district_code: str) -> list:
    return list(await conn.execute(select(streets).where(streets.c.district_code == district_code)
                                   .order_by(streets.c.code)))


async def street(conn: AsyncConnection, code: str):
    return (await conn.execute(select(streets).where(streets.c.code == code))).first()


async def rows_of(conn: AsyncConnection, kind: str) -> list:
    """Every row of one kind of reference data: district, street, sector, committee, topic, domain or tag."""
    return list(await conn.execute(select(TABLES[kind])))


def name(row, lang: str) -> str:
    """The display name of any reference or target row in a language."""
    if row is None:
        return ""
    if hasattr(row, "title_zh"):
        return row.title_en if lang == "en" else row.title_zh
    return row.name_en if lang == "en" else row.name_zh


async def name_of(conn: AsyncConnection, lookup, code: str | None, lang: str) -> str | None:
    """The display name for a code looked up with ``lookup`` (topic, district, street): the code
    itself when it is unknown, None when there is no code."""
    if not code:
        return None
    row = await lookup(conn, code)
    return name(row, lang) if row is not None else code
