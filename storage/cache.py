"""Reference data cached per process: districts, streets, sectors, committees, domains, topics,
tags, the targets and the routing rules are read by nearly every update and change rarely (the
seeds, a /bind, the office's routing edits).

Whatever changes them calls ``changed`` in the same transaction: it bumps the ``counters`` row
``reference`` and forgets this process's copies. Every transaction that reads cached data first
reads that row once (one indexed look-up in place of the reads it saves), so a change committed
by another process — a ``linkage`` command, another worker on PostgreSQL — is seen by the next
transaction here. A transaction that changed the data reads it from the database until it ends:
what it saw must not outlive a rollback.

``kept`` is a per-database store for values that do not change once read (a past window's news,
read once per digest firing and process).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert_ignoring_duplicates
from storage.schema import counters

VERSION = "reference"  # the counters row bumped by every change
# Built once (like every statement read at nearly every transaction: building one costs more than running it).
_READ_VERSION = select(counters.c.value).where(counters.c.name == bindparam("name"))


class _Copies:
    """One database's cached values (per engine: each Database object has its own)."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.values: dict[str, Any] = {}
        self.checked: Any = None  # the transaction that last read the version
        self.changing: Any = None  # the transaction that last changed the data


_copies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _of(conn: AsyncConnection) -> tuple[_Copies, Any]:
    sync = conn.sync_connection
    copies = _copies.get(sync.engine)
    if copies is None:
        copies = _copies[sync.engine] = _Copies()
    return copies, sync.get_transaction()


async def cached(conn: AsyncConnection, name: str, load: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
    """``load(conn)``'s value, read once per change of the reference data. The value is shared:
    callers never modify it."""
    copies, transaction = _of(conn)
    if transaction is None or transaction is copies.changing:
        return await load(conn)
    if transaction is not copies.checked:
        version = (await conn.execute(_READ_VERSION, {"name": VERSION})).scalar() or 0
        if version != copies.version:
            copies.version, copies.values = version, {}
        copies.checked = transaction
    if name not in copies.values:
        copies.values[name] = await load(conn)
    return copies.values[name]


async def changed(conn: AsyncConnection) -> None:
    """The reference data changes in this transaction: every process reads it afresh after it."""
    await conn.execute(insert_ignoring_duplicates(conn, counters), {"name": VERSION, "value": 0})
    await conn.execute(update(counters).where(counters.c.name == VERSION).values(value=counters.c.value + 1))
    copies, transaction = _of(conn)
    copies.version, copies.values, copies.checked, copies.changing = None, {}, None, transaction


_kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def kept(conn: AsyncConnection, name: str) -> OrderedDict:
    """This process's store ``name`` for this database (per engine, like the reference copies),
    oldest entries first: the caller decides what it keeps and for how long."""
    stores = _kept.setdefault(conn.sync_connection.engine, {})
    return stores.setdefault(name, OrderedDict())
