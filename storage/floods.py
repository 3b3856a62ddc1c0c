"""Counters of the inbound limits (handlers/flood.py): per key, a window and the hits in it.

They live in the database, so a restart forgets nothing and several processes on PostgreSQL
count together: each hit is one atomic upsert."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, Integer, String, Table, case, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import dialect_insert
from storage.schema import UTCDateTime, metadata

flood_counters = Table(
    "flood_counters", metadata,
    Column("key", String(96), primary_key=True),  # what is counted, for whom and where
    Column("window_start", UTCDateTime, nullable=False),
    Column("hits", Integer, nullable=False),
)


async def hit(conn: AsyncConnection, key: str, now: datetime, window: timedelta) -> int:
    """Count one hit on ``key``; returns the hits of the current window, this one included. A
    window opens with the first hit after the previous one has ended."""
    insert = dialect_insert(conn, flood_counters).values(key=key, window_start=now, hits=1)
    ended = flood_counters.c.window_start <= now - window
    upsert = insert.on_conflict_do_update(index_elements=[flood_counters.c.key], set_={
        "hits": case((ended, 1), else_=flood_counters.c.hits + 1),
        "window_start": case((ended, insert.excluded.window_start), else_=flood_counters.c.window_start)})
    return (await conn.execute(upsert.returning(flood_counters.c.hits))).scalar_one()


async def forget_before(conn: AsyncConnection, before: datetime) -> int:
    """Drop counters whose window opened before ``before`` (they count nothing any more)."""
    result = await conn.execute(delete(flood_counters).where(flood_counters.c.window_start < before))
    return result.rowcount
