"""Timers: every reminder, digest and deadline nudge is a row with an occurrence key, so it
fires exactly once — across restarts and catch-ups alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import timers

# Built once: a report schedules its deadlines' timers, and every update that adds one looks again;
# every change of a report's state looks at its pending ones.
_EXISTS = select(timers.c.key).where(timers.c.key == bindparam("key"))
_ADD = timers.insert()
_NEXT_DUE = select(timers.c.due_at).where(timers.c.status == "pending").order_by(timers.c.due_at).limit(1)


async def schedule(conn: AsyncConnection, key: str, kind: str, due_at: datetime, *,
                   payload: dict | None = None, expires_at: datetime | None = None) -> bool:
    """Add a timer unless one with this key exists (then nothing changes). True if added."""
    if (await conn.execute(_EXISTS, {"key": key})).first():
        return False
    await conn.execute(_ADD, {"key": key, "kind": kind, "due_at": due_at, "expires_at": expires_at,
                              "payload": payload or {}, "status": "pending"})
    return True


def _with_prefix(key_prefix: str) -> dict:
    """The keys that start with ``key_prefix``, as the range ``[lo, hi)`` of code points that
    ``ix_timers_pending_key`` (status, key) seeks (schema.py: keys compare by code point); a LIKE
    would read every pending timer, one per deadline nudge of every open report."""
    if not key_prefix:
        raise ValueError("a timer key prefix cannot be empty")
    return {"lo": key_prefix, "hi": key_prefix[:-1] + chr(ord(key_prefix[-1]) + 1)}


_PREFIXED = (timers.c.key >= bindparam("lo"), timers.c.key < bindparam("hi"), timers.c.status == "pending")
_CANCEL = update(timers).where(*_PREFIXED).values(status="skipped", fired_at=bindparam("at"), note="cancelled")
_PENDING_WITH_PREFIX = select(timers).where(*_PREFIXED).order_by(timers.c.key)


async def cancel(conn: AsyncConnection, key_prefix: str, now: datetime) -> int:
    """Drop pending timers whose key starts with the prefix (a session cancelled or moved)."""
    result = await conn.execute(_CANCEL, {**_with_prefix(key_prefix), "at": now})
    return result.rowcount or 0


async def next_due(conn: AsyncConnection) -> datetime | None:
    """When the earliest pending timer falls due (one look along ix_timers_due)."""
    return (await conn.execute(_NEXT_DUE)).scalar()


async def pending(conn: AsyncConnection) -> list:
    return list(await conn.execute(select(timers).where(timers.c.status == "pending").order_by(timers.c.due_at)))


async def due(conn: AsyncConnection, now: datetime, limit: int = 100) -> list:
    return list(await conn.execute(select(timers).where(timers.c.status == "pending", timers.c.due_at <= now)
                                   .order_by(timers.c.due_at, timers.c.key).limit(limit)))


async def take(conn: AsyncConnection, key: str, status: str, now: datetime, note: str | None = None) -> bool:
    """Mark a pending timer fired (done or skipped). False if it was no longer pending: then
    another firing already ran it and this one must do nothing."""
    result = await conn.execute(update(timers).where(timers.c.key == key, timers.c.status == "pending")
                                .values(status=status, fired_at=now, note=note))
    return bool(result.rowcount)


async def pending_with_prefix(conn: AsyncConnection, key_prefix: str) -> list:
    """Pending timers whose key starts with the prefix (e.g. every deadline nudge of one item)."""
    return list(await conn.execute(_PENDING_WITH_PREFIX, _with_prefix(key_prefix)))


async def reschedule(conn: AsyncConnection, key: str, due_at: datetime, expires_at: datetime | None) -> None:
    """Move a pending timer to a new time (a timer that already fired stays as it was)."""
    await conn.execute(update(timers).where(timers.c.key == key, timers.c.status == "pending")
                       .values(due_at=due_at, expires_at=expires_at))


async def lock_pending(conn: AsyncConnection, key: str) -> bool:
    """Is the timer still pending? Its row stays locked to the end of the transaction (PostgreSQL;
    SQLite's one writer needs no lock)."""
    row = (await conn.execute(select(timers.c.status).where(timers.c.key == key).with_for_update())).first()
    return row is not None and row.status == "pending"
