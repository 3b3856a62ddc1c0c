"""The schema's revisions (storage/migrations/): an empty database upgraded through every revision,
and a database made before revisions existed (the baseline), both end with exactly the tables the
code declares; an old database is refused with what to do, and `linkage db upgrade` brings it up.
On a real SQLite file, and on PostgreSQL when LINKAGE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from contextlib import asynccontextmanager

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import column, insert, select, table, text

from bot.cli import main
from storage import migrate
from storage.db import Database
from storage.schema import districts, outbox
from storage.tables import metadata
from tests.conftest import fresh_postgres_database


@asynccontextmanager
async def empty_database(kind: str, tmp_path):
    if kind == "sqlite":
        url = str(tmp_path / "linkage.db")
        db = Database(url)
        yield db, url
        await db.close()
        return
    async with fresh_postgres_database() as url:
        db = Database(url)
        yield db, url
        await db.close()


def linkage(database, *args: str):
    return CliRunner().invoke(main, ["--database", str(database), *args])


def differences(sync_conn) -> list:
    """What the database lacks or has beyond the tables the code declares (Alembic's comparison)."""
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return [d for d in compare_metadata(context, metadata)]


async def make_pre_revision_database(db: Database) -> None:
    """The baseline schema as a database made before revisions existed: its tables, no version."""
    async with db.transaction() as conn:
        await conn.run_sync(lambda c: command.upgrade(migrate._config(c), migrate.BASELINE))
        await conn.execute(text("DROP TABLE alembic_version"))
        await conn.execute(insert(districts).values(code="hongqiao", name_zh="红桥区", name_en="Hongqiao"))


kinds = pytest.mark.parametrize("kind", ["sqlite", "postgres"])


@kinds
async def test_every_revision_from_an_empty_database_gives_the_tables_the_code_declares(kind, tmp_path):
    async with empty_database(kind, tmp_path) as (db, _):
        assert await db.upgrade_schema() == (None, migrate.head())
        async with db.read() as conn:
            assert await conn.run_sync(differences) == []
            assert await conn.run_sync(migrate.current) == migrate.head()
        await db.ensure_schema()  # current: accepted as it is


@kinds
async def test_a_database_from_before_revisions_is_refused_then_upgraded_keeping_its_rows(kind, tmp_path):
    async with empty_database(kind, tmp_path) as (db, url):
        await make_pre_revision_database(db)
        if migrate.head() != migrate.BASELINE:  # a later revision exists: the old schema is refused
            with pytest.raises(migrate.SchemaOutOfDate, match="linkage db upgrade"):
                await db.ensure_schema()
        result = await asyncio.to_thread(linkage, url, "db", "upgrade")  # the command runs its own loop
        assert result.exit_code == 0 and f"schema at revision {migrate.head()}" in result.output
        async with db.read() as conn:
            assert await conn.run_sync(differences) == []
            assert (await conn.execute(select(districts.c.name_zh))).scalars().all() == ["红桥区"]
        await db.ensure_schema()


async def test_a_new_database_made_at_once_matches_the_revisions(tmp_path):
    """``ensure_schema`` makes a new database's tables in one go and stamps it: the same tables."""
    db = Database(str(tmp_path / "new.db"))
    await db.ensure_schema()
    async with db.read() as conn:
        assert await conn.run_sync(migrate.current) == migrate.head()
        assert await conn.run_sync(differences) == []
    await db.close()


def test_an_older_schema_stops_the_bot_and_the_commands_with_what_to_do(tmp_path, monkeypatch):
    database = tmp_path / "old.db"

    async def stamped_at_a_revision_this_code_has_moved_past() -> None:
        db = Database(str(database))
        async with db.transaction() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO alembic_version VALUES ('0000')"))
        await db.close()
    asyncio.run(stamped_at_a_revision_this_code_has_moved_past())
    monkeypatch.setenv("LINKAGE_BOT_TOKEN", "123:not-a-real-token")
    monkeypatch.setenv("LINKAGE_API_BASE", "http://127.0.0.1:9")  # never reached: the schema is checked first
    for args in (["run"], ["outbox"]):
        result = linkage(database, *args)
        assert result.exit_code == 1, result.output
        assert "schema is at revision 0000" in result.output and "linkage db upgrade" in result.output
    result = linkage(database, "db", "current")
    assert result.output.strip() == f"database: 0000; this code: {migrate.head()}"


@kinds
async def test_messages_emptied_before_revision_0006_are_marked_as_emptied(kind, tmp_path):
    """Before 0006 an emptied outbox row said so in its params; after it, in a column the nightly
    clean-up finds by index, so it does not empty them again (nor keep scanning them)."""
    async with empty_database(kind, tmp_path) as (db, _):
        async with db.transaction() as conn:
            await conn.run_sync(lambda c: command.upgrade(migrate._config(c), "0005"))
            outbox_at_0005 = table("outbox", *(column(c.name, c.type) for c in outbox.c if c.name != "blanked"))
            sent = datetime(2026, 6, 1, tzinfo=timezone.utc)
            for params in ({"blanked": True}, {"text": "会议通知"}):
                await conn.execute(insert(outbox_at_0005).values(
                    method="sendMessage", params=params, is_group=False, priority=1, status="sent", attempts=0,
                    not_before=sent, created_at=sent))
        assert await db.upgrade_schema() == ("0005", migrate.head())
        async with db.read() as conn:
            rows = (await conn.execute(select(outbox.c.blanked, outbox.c.params).order_by(outbox.c.id))).all()
        assert [tuple(r) for r in rows] == [(True, {}), (False, {"text": "会议通知"})]
