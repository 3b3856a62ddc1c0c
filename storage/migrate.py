"""The schema's versions (Alembic, storage/migrations/). A new database gets every table at once
and is stamped with the newest revision; an existing one must be at that revision, or the bot
refuses to start until ``linkage db upgrade`` has brought it there. A database made before
revisions existed has the baseline schema (the first revision) and is upgraded from there."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage.tables import metadata

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"


class SchemaOutOfDate(RuntimeError):
    """The database is at an older revision than the code (or one this code does not know)."""


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.set_main_option("truncate_slug_length", "32")
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision: what the code's tables are."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def _state(sync_conn) -> tuple[str | None, bool]:
    """(the database's revision, whether it has any of the tables)."""
    revision = MigrationContext.configure(sync_conn).get_current_revision()
    return revision, bool(set(inspect(sync_conn).get_table_names()) & set(metadata.tables))


def ensure(sync_conn) -> None:
    """A new database: every table, stamped as the newest revision. Otherwise: check it is current."""
    revision, has_tables = _state(sync_conn)
    if revision is None and not has_tables:
        metadata.create_all(sync_conn)
        command.stamp(_config(sync_conn), head())
        return
    if revision != head():
        raise SchemaOutOfDate(
            f"the database's schema is at revision {revision or BASELINE + ' (made before revisions)'}, "
            f"this code needs {head()}: back the database up, then run `linkage db upgrade`")


def upgrade(sync_conn) -> tuple[str | None, str]:
    """Bring the database to the newest revision; returns (from, to). A database with the tables and
    no revision was made before revisions existed: it is the baseline."""
    revision, has_tables = _state(sync_conn)
    config = _config(sync_conn)
    if revision is None and has_tables:
        command.stamp(config, BASELINE)
        revision = BASELINE
    command.upgrade(config, "head")
    return revision, head()


def current(sync_conn) -> str | None:
    return _state(sync_conn)[0]


def new_revision(sync_conn, message: str) -> str:
    """Write the revision that takes a database at the newest revision to the tables the code
    declares (for developers: read it, then commit it). Returns the new file's path."""
    newest = head()
    script = command.revision(_config(sync_conn), message=message, autogenerate=True,
                              rev_id=f"{int(newest) + 1:04d}" if newest else BASELINE)
    head.cache_clear()
    return script.path
