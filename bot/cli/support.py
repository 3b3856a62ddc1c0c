"""What every ``linkage`` command group shares: one transaction on the configured database,
and an office user's mistake (AdminError) shown as a clean error instead of a traceback."""

from __future__ import annotations

import asyncio

import click

from bot.clock import Clock
from bot.settings import Settings
from storage.db import Database


async def with_db(settings: Settings, work):
    """Open the database (creating the schema), run ``work(conn, now)`` in one transaction."""
    settings.database_path_ready()
    db = Database(settings.database)
    try:
        await db.create_schema()
        async with db.transaction() as conn:
            return await work(conn, Clock().now())
    finally:
        await db.close()


def run(coro):
    from handlers.core.errors import AdminError
    try:
        return asyncio.run(coro)
    except AdminError as exc:
        raise click.ClickException(str(exc)) from exc
