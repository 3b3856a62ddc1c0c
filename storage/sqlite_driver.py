"""SQLite through aiosqlite, with as few trips to its thread as can be (the URL
``sqlite+linkage://``, registered by storage/db.py).

aiosqlite runs every call on its sqlite3 connection in a thread of its own; each call is a queue
put, a hand-off to that thread and a wake-up of the event loop through its self-pipe — more CPU
than the short statement it carries. SQLAlchemy's adapter (``sqlalchemy.dialects.sqlite.aiosqlite``)
makes three or four per statement: the cursor, the execute, the fetch of its rows, the close.

Here a statement runs whole as one function (``_run``): the execute, every row fetched, the cursor
closed; the cursor SQLAlchemy holds keeps what it reads afterwards (rows, description, rowcount,
lastrowid). Where it runs:

- inside a write transaction (after ``BEGIN IMMEDIATE``), on the event loop itself, with no trip
  at all, its commit and rollback included: the transaction holds SQLite's write lock, so its
  statements never wait for another writer, they are short (the longest, a digest's chunk, about
  100 ms), and a commit at ``synchronous=NORMAL`` writes the WAL without waiting for the disk.
  Members' updates waited for that lock anyway; only network I/O pauses for a statement's length.
- ``BEGIN IMMEDIATE`` on the loop too, with the busy timeout at 0 for it: it takes the write lock
  at once, or fails at once when another process (a ``linkage`` command) holds it; only then does
  it go to the thread, which waits there up to the busy timeout.
- in aiosqlite's thread, one trip each (aiosqlite's ``Connection._execute``: its own way to run a
  function there): a snapshot's statements (a deferred ``BEGIN``: its reads may be long); a
  durable commit (``synchronous=FULL``: it waits for the disk).
- the WAL's checkpoints, which write pages back into the database file and wait for the disk (a
  big WAL: half a second), in a serving process (``linkage run``, the console: db.py's
  ``serving``) in a worker thread on a connection of their own, holding up no writer: SQLite's
  automatic checkpoint (inside whichever commit fills the WAL, with the write lock held) is off on
  its connections, and every ``CHECKPOINT_EVERY`` commits a passive one starts instead. A command
  or a bulk load keeps SQLite's own, so what it writes is checkpointed as it goes.
  (Setting ``PRAGMA synchronous``, just before a transaction begins, touches no file: on the loop.)

Above the driver, SQLAlchemy's asyncio connection starts a greenlet for every statement and
insists the statement awaits something; a write transaction's statement awaits nothing, so the
engine storage/db.py makes (``LoopEngine``) executes it straight away (``_LoopConnection``).

Subclassed, not copied: only the cursor of an ordinary (buffered) statement is new. Server-side
cursors (``stream``, ``yield_per``; the project uses none) keep SQLAlchemy's own. The adapter's
connect builds its connection class by name, so ``connect`` re-wraps that connection in ours; the
sqlite3 connection is opened with ``check_same_thread=False`` so the loop's thread may use it too
(never at once with aiosqlite's: each statement waits for the one before it).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor,
                                                  AsyncAdapt_aiosqlite_dbapi, SQLiteDialect_aiosqlite)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util.concurrency import await_


log = logging.getLogger("linkage.storage")

WRITE_BEGIN = "BEGIN IMMEDIATE"
SAFETY_LEVEL = "PRAGMA synchronous="  # a connection's setting: it touches no file, so never waits
CHECKPOINT_EVERY = 100  # commits (a few WAL pages each) between checkpoints: SQLite's own is 1,000 pages


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> tuple:
    """The statement, its rows and what SQLAlchemy reads of the cursor (on the loop or in
    aiosqlite's thread: see the module's docstring)."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        # read after the fetch: an INSERT … RETURNING counts its rows as they are stepped through
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _begin_at_once(conn: sqlite3.Connection, busy_ms: int) -> bool:
    """``BEGIN IMMEDIATE`` on the loop, unless another process holds the write lock: with the busy
    timeout at 0 it fails at once instead of waiting (False: the caller waits in the thread)."""
    conn.execute("PRAGMA busy_timeout=0").close()  # closed: a statement left open would stop the commit
    try:
        conn.execute(WRITE_BEGIN).close()
        return True
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout={busy_ms}").close()


class _Ran:
    """What SQLAlchemy's cursor adapter reads of a driver cursor, kept from the last statement."""

    __slots__ = ("description", "rowcount", "lastrowid", "arraysize")

    def __init__(self) -> None:
        self.description, self.rowcount, self.lastrowid, self.arraysize = None, -1, None, 1

    def close(self) -> None:
        """Nothing to close: the statement's sqlite3 cursor was closed where it ran."""


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    _awaitable_cursor_close = False  # the adapter's close calls _Ran.close: no trip

    def _keep(self, ran: tuple) -> None:
        rows, *outcome = ran
        self._rows = collections.deque(rows)
        self._cursor.description, self._cursor.rowcount, self._cursor.lastrowid = outcome

    def _make_new_cursor(self, connection) -> _Ran:
        return _Ran()  # no sqlite3 cursor yet: each statement makes its own where it runs

    def _aenter_cursor(self, cursor: _Ran) -> _Ran:
        return cursor

    def execute(self, operation, parameters=None) -> None:
        self._statement(operation, parameters, many=False)

    def executemany(self, operation, seq_of_parameters) -> None:
        self._statement(operation, seq_of_parameters, many=True)

    def _statement(self, operation, parameters, *, many: bool) -> None:
        """Called by SQLAlchemy's sync code (in its greenlet, or straight from ``_LoopConnection``): a
        statement run on the loop runs right here, with no coroutine; only a trip awaits."""
        adapt = self._adapt_connection
        try:
            setting = operation.startswith(SAFETY_LEVEL)
            if setting:
                adapt.durable = operation == SAFETY_LEVEL + "FULL"
            if adapt.writing or setting:  # on the loop, no trip (see the module's docstring)
                self._keep(_run(self._connection._conn, operation, parameters, many))
            elif operation == WRITE_BEGIN and _begin_at_once(self._connection._conn, adapt.busy_ms):
                self._keep(([], None, -1, None))
                adapt.writing = True
            else:
                await_(self._trip(operation, parameters, many))
        except Exception as error:
            adapt._handle_exception(error)

    async def _trip(self, operation, parameters, many: bool) -> None:
        """The statement in aiosqlite's thread, one trip."""
        adapt = self._adapt_connection
        async with adapt._execute_mutex:
            connection = self._connection
            self._keep(await connection._execute(_run, connection._conn, operation, parameters, many))
        adapt.writing = operation == WRITE_BEGIN


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    # writing: inside a write transaction, whose statements run on the loop; durable: synchronous=FULL;
    # busy_ms: the busy timeout
    __slots__ = ("writing", "durable", "busy_ms")
    _cursor_cls = _OneTripCursor

    def commit(self) -> None:
        writing, self.writing = self.writing, False
        if writing and not self.durable:
            try:
                self._connection._conn.commit()
            except Exception as error:
                self._handle_exception(error)
        else:
            super().commit()
        self.dbapi.committed()

    def rollback(self) -> None:
        writing, self.writing = self.writing, False
        if not writing:
            super().rollback()
            return
        try:
            self._connection._conn.rollback()
        except Exception as error:
            self._handle_exception(error)


def _checkpoint(path: str, busy_ms: int) -> None:
    """Write the WAL's pages back into the database file (passive: pages another connection still
    reads wait for the next one), on a connection of its own in a worker thread: the loop and its
    writers go on meanwhile."""
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=busy_ms / 1000)) as conn:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as exc:  # the next one writes what this one could not
        log.warning("WAL checkpoint failed: %s", exc)


class _OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    aside = False  # checkpoints beside the loop (a serving process: db.py's ``serving``)
    commits = 0  # this engine's commits, counted for the checkpoints
    path = ""  # the database file
    busy_ms = 5000
    checkpoint: asyncio.Future | None = None  # the one running, if any

    def committed(self) -> None:
        self.commits += 1
        if self.aside and self.commits % CHECKPOINT_EVERY == 0 and self.path and \
                (self.checkpoint is None or self.checkpoint.done()):
            self.checkpoint = asyncio.get_running_loop().run_in_executor(None, _checkpoint, self.path, self.busy_ms)

    def connect(self, *arg: Any, **kw: Any) -> _OneTripConnection:
        kw["check_same_thread"] = False  # SQLAlchemy's own default for a file; the loop's thread uses it too
        self.aside = kw.pop("checkpoints_aside", False)
        connection = _OneTripConnection(self, super().connect(*arg, **kw)._connection)
        connection.writing = connection.durable = False
        connection.busy_ms = self.busy_ms = int(kw.get("timeout", 5.0) * 1000)  # sqlite3's own default: 5 s
        if arg and arg[0] != ":memory:":
            self.path = str(arg[0])
        return connection


class SQLiteDialect_linkage(SQLiteDialect_aiosqlite):
    supports_statement_cache = True  # SQLAlchemy asks every dialect subclass to say so again

    @classmethod
    def import_dbapi(cls) -> _OneTripDBAPI:
        return _OneTripDBAPI(aiosqlite, sqlite3)


class _LoopConnection(AsyncConnection):
    """SQLAlchemy's asyncio connection, with one shortcut: a statement of a write transaction,
    which runs on the loop awaiting nothing (above), is executed right here. SQLAlchemy's own
    ``execute`` starts a greenlet for each statement and insists that it awaits something: that
    cost most of what the statement itself did (about 17 of 40 µs). Any other statement (a
    snapshot's, a trip to the thread) goes the usual way."""

    __slots__ = ()

    def _on_loop(self) -> bool:
        sync = self.sync_connection
        return sync is not None and sync.in_transaction() and sync.connection.dbapi_connection.writing

    async def execute(self, statement, parameters=None, *, execution_options=None):
        if self._on_loop():
            return self.sync_connection.execute(statement, parameters, execution_options=execution_options)
        return await super().execute(statement, parameters, execution_options=execution_options)

    async def exec_driver_sql(self, statement, parameters=None, execution_options=None):
        if self._on_loop():
            return self.sync_connection.exec_driver_sql(statement, parameters, execution_options)
        return await super().exec_driver_sql(statement, parameters, execution_options)


class LoopEngine(AsyncEngine):
    """The async engine whose connections are ``_LoopConnection`` (storage/db.py makes SQLite's)."""

    __slots__ = ()
    _connection_cls = _LoopConnection
