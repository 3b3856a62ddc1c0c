"""Counters of the inbound limits (handlers/flood.py): per key, a window and the hits in it.

They live in the database, so a restart forgets nothing and several processes on PostgreSQL
count together: each hit is one atomic upsert."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, Integer, String, Table, bindparam, case, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import built_once, first_of
from storage.schema import UTCDateTime, metadata

flood_counters = Table(
    "flood_counters", metadata,
    Column("key", String(96), primary_key=True),  # what is counted, for whom and where
    Column("window_start", UTCDateTime, nullable=False),
    Column("hits", Integer, nullable=False),
)


def _hit(insert):
    upsert = insert(flood_counters)
    ended = flood_counters.c.window_start <= bindparam("ended_before")
    return upsert.on_conflict_do_update(index_elements=[flood_counters.c.key], set_={
        "hits": case((ended, 1), else_=flood_counters.c.hits + 1),
        "window_start": case((ended, upsert.excluded.window_start), else_=flood_counters.c.window_start),
    }).returning(flood_counters.c.hits)


HIT = built_once(_hit)  # every update counts one


async def hit(conn: AsyncConnection, key: str, now: datetime, window: timedelta) -> int:
    """Count one hit on ``key``; returns the hits of the current window, this one included. A
    window opens with the first hit after the previous one has ended."""
    return (await conn.execute(HIT(conn), {"key": key, "window_start": now, "hits": 1,
                                           "ended_before": now - window})).scalar_one()


async def forget_before(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Drop at most ``limit`` counters whose window opened before ``before`` (they count nothing
    any more)."""
    result = await conn.execute(delete(flood_counters).where(first_of(
        flood_counters.c.key, limit, flood_counters.c.window_start < before)))
    return result.rowcount
