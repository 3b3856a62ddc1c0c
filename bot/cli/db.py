"""``linkage db``: the schema's revisions (storage/migrate.py). ``upgrade`` before starting a new
version of Linkage on an existing database; ``revision`` for developers after changing a table."""

from __future__ import annotations

import click

from bot.cli.support import run
from bot.settings import Settings
from storage import migrate
from storage.db import Database


async def _on_db(settings: Settings, work):
    settings.database_path_ready()
    database = Database(settings.database)
    try:
        return await work(database)
    finally:
        await database.close()


@click.group()
def db() -> None:
    """The database schema: its revision, upgrades."""


@db.command()
@click.pass_obj
def upgrade(settings: Settings) -> None:
    """Bring the database to this version's schema (a new database gets every table)."""
    before, after = run(_on_db(settings, lambda database: database.upgrade_schema()))
    click.echo(f"schema at revision {after}" + (f" (was {before})" if before not in (None, after) else ""))


@db.command()
@click.pass_obj
def current(settings: Settings) -> None:
    """The database's revision and the one this version of Linkage needs."""
    async def read(database: Database):
        async with database.read() as conn:
            return await conn.run_sync(migrate.current)
    click.echo(f"database: {run(_on_db(settings, read)) or 'none'}; this code: {migrate.head()}")


@db.command()
@click.option("-m", "--message", required=True, help="What the change is, in a few words.")
@click.pass_obj
def revision(settings: Settings, message: str) -> None:
    """For developers: write the revision from the newest one to the tables the code declares,
    compared on a scratch database (LINKAGE_DATABASE). Read it, then commit it."""
    async def write(database: Database):
        async with database.transaction() as conn:
            await conn.run_sync(migrate.upgrade)
            return await conn.run_sync(lambda sync_conn: migrate.new_revision(sync_conn, message))
    click.echo(run(_on_db(settings, write)))
