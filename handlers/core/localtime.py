"""Local time: Linkage's members live in Asia/Shanghai (no daylight saving), the database keeps UTC."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def shown(moment: datetime) -> str:
    """A moment as people read it, one style throughout (zh-register.md): 2026-12-04 14:30."""
    return local(moment).strftime("%Y-%m-%d %H:%M")


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def local_at(day: date, clock: str | time) -> datetime:
    """``clock`` (HH:MM or a time) on ``day`` in Asia/Shanghai, as an aware UTC datetime."""
    at = time.fromisoformat(clock) if isinstance(clock, str) else clock
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(timezone.utc)
