"""SQLite through aiosqlite, one trip to its thread per statement (the URL ``sqlite+linkage://``,
registered by storage/db.py).

aiosqlite runs every call on its sqlite3 connection in a thread of its own; each call is a queue
put, a hand-off to that thread and a wake-up of the event loop. SQLAlchemy's adapter
(``sqlalchemy.dialects.sqlite.aiosqlite``) makes three or four per statement: the cursor, the
execute, the fetch of its rows, the close — a third of the bot's GIL time with ~20 statements an
update. Here a statement runs whole as one function in the thread (aiosqlite's
``Connection._execute``: its own way to run a function there): the execute, every row fetched, the
cursor closed; the cursor SQLAlchemy holds keeps what it reads afterwards (rows, description,
rowcount, lastrowid). Commit, rollback and the connection's setup stay a trip each.

Subclassed, not copied: only the cursor of an ordinary (buffered) statement is new. Server-side
cursors (``stream``, ``yield_per``; the project uses none) keep SQLAlchemy's own. The adapter's
connect builds its connection class by name, so ``connect`` re-wraps that connection in ours.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor,
                                                  AsyncAdapt_aiosqlite_dbapi, SQLiteDialect_aiosqlite)


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> tuple:
    """In aiosqlite's thread: the statement, its rows and what SQLAlchemy reads of the cursor."""
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


class _Ran:
    """What SQLAlchemy's cursor adapter reads of a driver cursor, kept from the last statement."""

    __slots__ = ("description", "rowcount", "lastrowid", "arraysize")

    def __init__(self) -> None:
        self.description, self.rowcount, self.lastrowid, self.arraysize = None, -1, None, 1

    def close(self) -> None:
        """Nothing to close: the statement's sqlite3 cursor was closed in the thread."""


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    _awaitable_cursor_close = False  # the adapter's close calls _Ran.close: no trip

    def _make_new_cursor(self, connection) -> _Ran:
        return _Ran()  # no sqlite3 cursor yet: each statement makes its own in the thread

    def _aenter_cursor(self, cursor: _Ran) -> _Ran:
        return cursor

    async def _execute_async(self, operation, parameters) -> None:
        await self._execute_in_thread(operation, parameters, many=False)

    async def _executemany_async(self, operation, seq_of_parameters) -> None:
        await self._execute_in_thread(operation, seq_of_parameters, many=True)

    async def _execute_in_thread(self, operation, parameters, *, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            rows, *outcome = await connection._execute(_run, connection._conn, operation, parameters, many)
            self._rows = collections.deque(rows)
            self._cursor.description, self._cursor.rowcount, self._cursor.lastrowid = outcome


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneTripCursor


class _OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _OneTripConnection:
        return _OneTripConnection(self, super().connect(*arg, **kw)._connection)


class SQLiteDialect_linkage(SQLiteDialect_aiosqlite):
    supports_statement_cache = True  # SQLAlchemy asks every dialect subclass to say so again

    @classmethod
    def import_dbapi(cls) -> _OneTripDBAPI:
        return _OneTripDBAPI(aiosqlite, sqlite3)
