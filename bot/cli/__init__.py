"""The ``linkage`` command: the root group and its everyday commands in ``commands``, one module
per feature command group beside it (``python -m bot.cli`` and the console script both start here)."""

from bot.cli.commands import main

__all__ = ["main"]
