"""Reference data loaded from seeds: districts, streets, sectors, committees, the topic menu's
domains and topics, and tags; read through the per-process cache (storage/cache.py), so a change
must go with ``cache.changed`` (the seed loader's does)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import cache
from storage.schema import committees, districts, domains, sectors, streets, tags, topics

TABLES = {"district": districts, "street": streets, "sector": sectors, "committee": committees,
          "topic": topics, "domain": domains, "tag": tags}


ORDER = {"district": "code", "street": "code", "sector": "code", "committee": "code",
         "topic": "position", "domain": "position", "tag": "position"}


async def rows_of(conn: AsyncConnection, kind: str) -> tuple:
    """Every row of one kind of reference data (district, street, sector, committee, topic, domain
    or tag) in its order, from the per-process cache (storage/cache.py)."""
    table = TABLES[kind]

    async def load(conn: AsyncConnection) -> tuple:
        return tuple(await conn.execute(select(table).order_by(table.c[ORDER[kind]])))
    return await cache.cached(conn, kind, load)


async def _by_code(conn: AsyncConnection, kind: str, code: str):
    return next((row for row in await rows_of(conn, kind) if row.code == code), None)


async def all_topics(conn: AsyncConnection) -> list:
    return list(await rows_of(conn, "topic"))


async def topics_of(conn: AsyncConnection, domain_code: str) -> list:
    return [row for row in await rows_of(conn, "topic") if row.domain == domain_code]


async def all_domains(conn: AsyncConnection) -> list:
    return list(await rows_of(conn, "domain"))


async def domain(conn: AsyncConnection, code: str):
    return await _by_code(conn, "domain", code)


async def all_tags(conn: AsyncConnection) -> list:
    return list(await rows_of(conn, "tag"))


async def tag(conn: AsyncConnection, code: str):
    return await _by_code(conn, "tag", code)


async def topic(conn: AsyncConnection, code: str):
    return await _by_code(conn, "topic", code)


async def all_districts(conn: AsyncConnection) -> list:
    return list(await rows_of(conn, "district"))


async def district(conn: AsyncConnection, code: str):
    return await _by_code(conn, "district", code)


async def streets_of(conn: AsyncConnection, district_code: str) -> list:
    return [row for row in await rows_of(conn, "street") if row.district_code == district_code]


async def street(conn: AsyncConnection, code: str):
    return await _by_code(conn, "street", code)


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
