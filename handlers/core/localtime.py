"""Local time: Linkage's members live in Asia/Shanghai (no daylight saving), the database keeps UTC;
times as the office types them (parse_*) and as people read them (shown, show_span)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from handlers.core.errors import AdminError

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


def quiet_window(spec: str) -> tuple[time, time] | None:
    """``"21:00-08:00"`` as (start, end); empty: no quiet hours. A bad value raises ValueError."""
    if not spec.strip():
        return None
    start, sep, end = spec.partition("-")
    if not sep:
        raise ValueError(f"quiet hours are HH:MM-HH:MM, not {spec!r}")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def quiet_until(moment: datetime, spec: str) -> datetime | None:
    """When the quiet hours ``spec`` (Asia/Shanghai; the window may span midnight) that contain
    ``moment`` end, as an aware UTC datetime; None when ``moment`` is outside them or there are none."""
    window = quiet_window(spec)
    if window is None:
        return None
    start, end = window
    here = local(moment)
    now, day = here.time(), here.date()
    if start <= end:
        inside = start <= now < end
    else:  # e.g. 21:00-08:00: the evening part ends the next morning
        inside = now >= start or now < end
        if now >= start:
            day += timedelta(days=1)
    return local_at(day, end) if inside else None


def parse_local(text: str, *, field: str | None = None) -> datetime:
    """'2026-12-03 14:30' (Asia/Shanghai) → an aware UTC datetime (``field``: the input it came from)."""
    cleaned = " ".join(str(text).strip().replace("T", " ").split())
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            naive = datetime.strptime(cleaned, pattern)
            break
        except ValueError:
            continue
    else:
        raise AdminError("time {text!r} must look like 2026-12-03 14:30 (Asia/Shanghai)", field=field, text=text)
    return naive.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def parse_date(text: str | date, *, field: str | None = None) -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise AdminError("date {text!r} must look like 2026-12-07", field=field, text=text) from None


def parse_clock(text: str, *, field: str | None = None) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(text).strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise AdminError("time of day {text!r} must look like 08:30", field=field, text=text)
    return f"{int(match[1]):02d}:{match[2]}"


def show_span(start: datetime, end: datetime) -> str:
    a, b = local(start), local(end)
    if a.date() == b.date():
        return f"{a:%Y-%m-%d %H:%M}–{b:%H:%M}"
    return f"{a:%Y-%m-%d %H:%M} – {b:%Y-%m-%d %H:%M}"
