"""Statements whose spelling differs between SQLite and PostgreSQL (kept below every table module,
which may use them)."""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def _insert_of(dialect_name: str) -> Callable:
    return (sqlite if dialect_name == "sqlite" else postgresql).insert


def dialect_insert(conn: AsyncConnection, table):
    """The dialect's own INSERT, which knows ``ON CONFLICT`` (SQLite and PostgreSQL alike)."""
    return _insert_of(conn.dialect.name)(table)


def insert_ignoring_duplicates(conn: AsyncConnection, table):
    """INSERT that silently skips rows whose unique key already exists (one statement, where a
    look-up first would be two)."""
    return dialect_insert(conn, table).on_conflict_do_nothing()


def built_once(build: Callable[[Callable], Any]) -> Callable[[AsyncConnection], Any]:
    """A hot path's statement, built once per dialect: ``build`` gets that dialect's ``insert``.
    Constructing a statement and its cache key costs more than running it; a statement kept
    (with ``bindparam`` for what changes) does both once."""
    built: dict[str, Any] = {}

    def statement(conn: AsyncConnection):
        name = conn.dialect.name
        if name not in built:
            built[name] = build(_insert_of(name))
        return built[name]
    return statement


def first_of(key, limit: int, *where):
    """``key IN (the first `limit` keys matching `where`)``: how an UPDATE or DELETE touches at most
    ``limit`` rows (neither PostgreSQL nor a stock SQLite has ``DELETE … LIMIT``), so a clean-up
    runs in short transactions."""
    return key.in_(select(key).where(*where).limit(limit))  # in no order: the index that fits finds them
