"""Statements whose spelling differs between SQLite and PostgreSQL (kept below every table module,
which may use them)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def dialect_insert(conn: AsyncConnection, table):
    """The dialect's own INSERT, which knows ``ON CONFLICT`` (SQLite and PostgreSQL alike)."""
    return (sqlite if conn.dialect.name == "sqlite" else postgresql).insert(table)


def insert_ignoring_duplicates(conn: AsyncConnection, table):
    """INSERT that silently skips rows whose unique key already exists (one statement, where a
    look-up first would be two)."""
    return dialect_insert(conn, table).on_conflict_do_nothing()
