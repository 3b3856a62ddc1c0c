"""Alembic's environment: it runs on the connection storage/migrate.py hands it (the async
engine's, through ``run_sync``), against the tables the code declares."""

from alembic import context

from storage.schema import UTCDateTime
from storage.tables import metadata


def render_item(kind, obj, autogen_context):
    # A revision stores the column type the database sees, not the code's wrapper: a revision must
    # not change when the wrapper does.
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


context.configure(connection=context.config.attributes["connection"], target_metadata=metadata,
                  render_as_batch=True,  # SQLite alters a table by copying it; batch mode does that
                  render_item=render_item, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
