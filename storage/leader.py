"""The leader lock: of all the workers on one PostgreSQL, the one holding a session advisory lock
runs the sender and the scheduler (bot/leader.py). The lock lives on a dedicated connection, so
it frees the moment that connection drops — a SIGKILLed process, a cut network — and a follower
retrying takes it over. On SQLite there is one process, and it leads.

The same connection listens for ``outbox_due``: a worker that queued outbox rows says so at
commit (``notify_sender``), and the leader's sender wakes at once instead of at its next look.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger("linkage.leader")

LOCK_KEY = 0x4C4B_4C45_4144  # "LKLEAD": the one advisory lock key of Linkage's leader
CHANNEL = "linkage_outbox_due"
CHECK_TIMEOUT = 2.0  # seconds: a lock connection that answers no "SELECT 1" within this is lost


class LeaderLock:
    """``acquire`` tries the lock (True when held); ``held`` checks that the connection holding it
    still answers; ``release`` gives it up. On SQLite every call says yes."""

    def __init__(self, url: str, on_notify: Callable[[], None] = lambda: None):
        self.sqlite = url.startswith("sqlite")
        self.dsn = "postgresql://" + url.split("://", 1)[1] if not self.sqlite else None
        self.on_notify = on_notify
        self._conn: asyncpg.Connection | None = None

    async def acquire(self) -> bool:
        if self.sqlite:
            return True
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self.dsn, timeout=CHECK_TIMEOUT)
        if not await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY, timeout=CHECK_TIMEOUT):
            return False
        await self._conn.add_listener(CHANNEL, lambda *_: self.on_notify())
        return True

    async def held(self) -> bool:
        """False when the lock's connection no longer answers (then the lock is gone with it)."""
        if self.sqlite:
            return True
        if self._conn is None or self._conn.is_closed():
            return False
        try:
            return await self._conn.fetchval(
                "SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"
                " AND ((classid::bigint << 32) | objid::bigint) = $1", LOCK_KEY, timeout=CHECK_TIMEOUT)
        except Exception:  # a dropped connection fails in several ways (OSError, asyncpg's own errors)
            return False

    async def release(self) -> None:
        """Close the connection: the lock (if held) goes with it."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), CHECK_TIMEOUT)
            except Exception:
                conn.terminate()


async def leader_pid(conn: AsyncConnection) -> int | None:
    """The PostgreSQL backend pid holding the leader lock (None: nobody leads, or SQLite)."""
    if conn.dialect.name == "sqlite":
        return None
    return (await conn.execute(text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"  # a lock per database
        " AND ((classid::bigint << 32) | objid::bigint) = :key"), {"key": LOCK_KEY})).scalar()


async def notify_sender(conn: AsyncConnection) -> None:
    """Wake the leader's sender when this transaction commits (PostgreSQL; on SQLite the sender
    is in this process and is woken directly)."""
    if conn.dialect.name != "sqlite":
        await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
