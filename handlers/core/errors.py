"""The error of an office operation (a CLI command, an office admin's chat command): its message
says what is wrong and how to fix it, and is shown as it is, never as a traceback."""

from __future__ import annotations


class AdminError(Exception):
    """A user-facing error: the message says what is wrong and how to fix it."""
