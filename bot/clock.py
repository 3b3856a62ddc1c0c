"""The one clock. Production reads the system time; tests and the demo move it forward."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset

    @staticmethod
    def real_now() -> datetime:
        return datetime.now(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta
