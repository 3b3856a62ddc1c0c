"""What every ``linkage`` command group shares: one transaction on the configured database,
and an office operation's refusal (AdminError and its subclasses: StudyError, NoticeError ...)
shown as a clean error instead of a traceback, here and nowhere else."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager

import click

from bot.clock import Clock
from bot.settings import Settings
from storage.db import Database


async def with_db(settings: Settings, work):
    """Open the database (creating the schema), run ``work(conn, now)`` in one transaction."""
    settings.database_path_ready()
    db = Database(settings.database)
    try:
        await db.ensure_schema()
        async with db.transaction() as conn:
            return await work(conn, Clock().now())
    finally:
        await db.close()


@contextmanager
def refusals_shown():
    """An office operation's refusal becomes click's clean one-line error."""
    from handlers.core.errors import AdminError
    from storage.migrate import SchemaOutOfDate
    try:
        yield
    except (AdminError, SchemaOutOfDate) as exc:
        raise click.ClickException(str(exc)) from exc


def run(coro):
    with refusals_shown():
        return asyncio.run(coro)


def run_in_ctx(settings: Settings, work):
    """Run ``work(ctx)`` — an office operation with the context of a command-line call — in one
    transaction; its refusal becomes a clean CLI error."""
    from handlers.core.context import Ctx
    from handlers.features import REGISTRY
    return run(with_db(settings, lambda conn, now: work(Ctx.offline(conn, now, settings.handler_config(), REGISTRY))))
