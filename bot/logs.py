"""Structured log lines: ``time level logger message key=value ...`` — ids, never bodies.

Libraries log what we must not keep: at INFO/DEBUG httpx writes request URLs (which carry the
bot token), telegram.Bot and aiogram write message bodies, aiosqlite and SQLAlchemy write query
parameters (report texts, names). Their records below WARNING are dropped whatever the level,
and anything shaped like a bot token is masked in every line, tracebacks included.
"""

from __future__ import annotations

import logging
import re
import sys

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# loggers whose records below WARNING may carry member content or the token
LIBRARY_LOGGERS = ("aiohttp", "aiogram", "aiosqlite", "asyncpg", "httpcore", "httpx", "sqlalchemy", "telegram")
BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{8,}")


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        return BOT_TOKEN.sub("<token>", f"{line} {extras}" if extras else line)


class LibraryQuietFilter(logging.Filter):
    """Passes a library's record only from WARNING up, even when someone lowers its level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return not any(record.name == name or record.name.startswith(name + ".") for name in LIBRARY_LOGGERS)


def setup(level: str = "INFO", log_file: str | None = None) -> None:
    handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(LibraryQuietFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)  # and they need not build the records at all
