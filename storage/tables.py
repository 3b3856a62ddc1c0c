"""Every table, for ``create_all``: the core schema, and the tables a feature keeps beside its
repository (importing the module registers them on the one ``metadata``)."""

from storage.schema import metadata

# feature tables (one import per feature module that defines tables):

__all__ = ["metadata"]
