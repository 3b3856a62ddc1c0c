"""Connections and transactions for SQLite (default) and PostgreSQL.

SQLite: one file in WAL mode, a busy timeout, and ``BEGIN IMMEDIATE`` for every write
transaction so a read-then-write never fails with "database is locked"; writers inside
one process are also queued on an asyncio lock, which keeps SQLite's single writer calm. Its
driver is aiosqlite with one trip to aiosqlite's thread per statement (storage/sqlite_driver.py).
PostgreSQL: the same schema through asyncpg, for deployments that outgrow one machine.

Durability: SQLite runs ``synchronous=NORMAL`` (WAL), which survives a crash of the process
but may lose the last commits on a power cut. A ``transaction(durable=True)`` (the inbox's:
updates Telegram is about to be told were received) runs ``synchronous=FULL``, so its commit
is on disk before it returns — one fsync, about 2 ms on this machine's disk. PostgreSQL
commits are durable unless the server sets ``synchronous_commit=off``; a durable transaction
turns it on for itself.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager, contextmanager
from typing import AsyncIterator, Callable

from sqlalchemy import event, text
from sqlalchemy.dialects import registry
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage import migrate, sqlite_driver

DURABLE = "linkage_durable"  # execution options read by the SQLite begin hook
SNAPSHOT = "linkage_snapshot"
SYNCHRONOUS = "linkage_synchronous"  # the SQLite connection's synchronous level, in its info
SCHEMA_LOCK = 0x4C4B5343  # the advisory lock key held while the schema is made or upgraded ("LKSC")


async def insert_rows(conn: AsyncConnection, table, rows: list[dict]) -> None:
    """Rows with their ids given, many in one statement (a benchmark's data); on PostgreSQL the
    table's id sequence is then moved past them, so later inserts do not collide."""
    await conn.execute(table.insert(), rows)
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"(SELECT max(id) FROM {table.name}))"))


# aiosqlite with one trip to its thread per statement (storage/sqlite_driver.py)
registry.register("sqlite.linkage", "storage.sqlite_driver", "SQLiteDialect_linkage")


def database_url(value: str) -> str:
    """Accept a bare file path or a SQLAlchemy URL; pick the async drivers."""
    if "://" not in value:
        return f"sqlite+linkage:///{value}"
    scheme, rest = value.split("://", 1)
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        return f"sqlite+linkage://{rest}"
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+asyncpg://{rest}"
    return value


class Database:
    def __init__(self, url: str, *, echo: bool = False, serving: bool = False):
        """``serving``: a process whose event loop serves people (``linkage run``, the console):
        on SQLite the WAL's checkpoints run beside its loop, never inside a commit on it
        (storage/sqlite_driver.py); a command or a bulk load keeps SQLite's own."""
        self.url = database_url(url)
        # Told the seconds of every write transaction when set (a bench's, or the slow-transaction log).
        self.on_write: Callable[[float], None] | None = None
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._writer: AsyncConnection | None = None  # SQLite's, taken under the write lock
        # a failed statement's parameters are report texts and names: never in an error message or log
        kwargs: dict = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            # Every use of a connection ends its transaction (commit, or the rollback of
            # Connection.close): the pool's own rollback at check-in would be one more trip to
            # aiosqlite's thread for every transaction, doing nothing.
            kwargs.update(connect_args={"timeout": 30, "checkpoints_aside": serving}, pool_reset_on_return=None)
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            self.engine = sqlite_driver.LoopEngine(self.engine.sync_engine)
            self._tune_sqlite(serving)

    def _tune_sqlite(self, serving: bool) -> None:
        sync_engine = self.engine.sync_engine

        @event.listens_for(sync_engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Let SQLAlchemy, not the driver, decide where transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            if serving:  # the driver checkpoints, beside the loop (sqlite_driver.py)
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(sync_engine, "begin")
        def _on_begin(conn):
            # SQLite refuses to change the safety level inside a transaction: set it just before,
            # and only when it changes (the connection remembers it: one statement less per transaction).
            # Straight to the driver's cursor: SQLAlchemy's execution of a statement costs more
            # than these two do (and they have no parameters, nothing to bind or convert).
            options, fairy = conn.get_execution_options(), conn.connection
            level = "FULL" if options.get(DURABLE, False) else "NORMAL"
            cursor = fairy.dbapi_connection.cursor()
            if fairy.info.get(SYNCHRONOUS) != level:
                cursor.execute(f"PRAGMA synchronous={level}")
                fairy.info[SYNCHRONOUS] = level
            cursor.execute("BEGIN" if options.get(SNAPSHOT) else "BEGIN IMMEDIATE")
            cursor.close()

    async def ensure_schema(self) -> None:
        """A new database gets every table; an existing one must be at the code's revision
        (storage/migrate.py raises SchemaOutOfDate, with what to do, when it is not)."""
        async with self._schema_transaction() as conn:
            await conn.run_sync(migrate.ensure)

    async def upgrade_schema(self) -> tuple[str | None, str]:
        """``linkage db upgrade``: (the revision it was at, the one it is at now)."""
        async with self._schema_transaction() as conn:
            return await conn.run_sync(migrate.upgrade)

    @asynccontextmanager
    async def _schema_transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self.transaction() as conn:
            if not self.is_sqlite:  # several workers starting at once: one makes the tables, the rest wait
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            yield conn

    @asynccontextmanager
    async def transaction(self, *, durable: bool = False) -> AsyncIterator[AsyncConnection]:
        """One write transaction: everything in it commits together or not at all. ``durable``:
        the commit also survives a power cut once it returned (see the module's docstring)."""
        if self._write_lock is None:
            with self._timed():
                async with self.engine.begin() as conn:
                    if durable:
                        await conn.exec_driver_sql("SET LOCAL synchronous_commit = on")
                    yield conn
            return
        async with self._write_lock:
            with self._timed():  # from the lock taken to the commit: what other writers wait for
                conn = await self._writer_for(durable)
                async with conn.begin():
                    yield conn

    async def _writer_for(self, durable: bool) -> AsyncConnection:
        """SQLite's one writer, kept open: checking a connection out of the pool and back in for
        every transaction cost more than an update's statements (taken under the write lock)."""
        conn = self._writer
        if conn is None or conn.closed or conn.invalidated:
            conn = self._writer = await self.engine.connect()
        if conn.sync_connection.get_execution_options().get(DURABLE, False) != durable:
            await conn.execution_options(**{DURABLE: durable})
        return conn

    @contextmanager
    def _timed(self):
        if self.on_write is None:
            yield
            return
        started = time.perf_counter()
        try:
            yield
        finally:
            self.on_write(time.perf_counter() - started)

    # Reads go through a transaction too on SQLite: it is cheap, and it keeps one way in.
    read = transaction

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction that holds up no writer, for a long read (what a digest to
        100,000 members needs): SQLite, a deferred BEGIN on a connection of its own outside the
        write lock (WAL lets it read beside the one writer, its view fixed at its first read);
        PostgreSQL, a READ ONLY transaction."""
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                await conn.execution_options(**{SNAPSHOT: True})
            async with conn.begin():
                if not self.is_sqlite:
                    await conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield conn

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        await self.engine.dispose()

