"""The error of an office operation (a CLI command, an office admin's chat command): its message
says what is wrong and how to fix it, and is shown as it is, never as a traceback. A feature
whose callers must tell its refusals apart subclasses it (``StudyError``, ``NoticeError``); the
command line catches the base once (bot/cli/support.py)."""

from __future__ import annotations


class AdminError(Exception):
    """An office operation was refused; the message says why (and how to fix it)."""
