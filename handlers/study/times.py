"""Times as the office types them and members read them: Asia/Shanghai, stored in UTC; and when
a session's check-in window is open."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from handlers.core.context import HandlerConfig
from handlers.core.localtime import SHANGHAI, local
from handlers.study.terms import StudyError


def parse_local(text: str) -> datetime:
    """'2026-12-03 14:30' (Asia/Shanghai) → an aware UTC datetime."""
    cleaned = " ".join(str(text).strip().replace("T", " ").split())
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            naive = datetime.strptime(cleaned, pattern)
            break
        except ValueError:
            continue
    else:
        raise StudyError(f"time {text!r} must look like 2026-12-03 14:30 (Asia/Shanghai)")
    return naive.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def parse_date(text: str | date) -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise StudyError(f"date {text!r} must look like 2026-12-07") from None


def parse_clock(text: str) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(text).strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise StudyError(f"time of day {text!r} must look like 08:30")
    return f"{int(match[1]):02d}:{match[2]}"


def show_time(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


def show_span(start: datetime, end: datetime) -> str:
    a, b = local(start), local(end)
    if a.date() == b.date():
        return f"{a:%Y-%m-%d %H:%M}–{b:%H:%M}"
    return f"{a:%Y-%m-%d %H:%M} – {b:%Y-%m-%d %H:%M}"


def checkin_opens(session, config: HandlerConfig) -> datetime:
    return session.starts_at - timedelta(minutes=config.study_checkin_early_minutes)


def in_checkin_window(session, now: datetime, config: HandlerConfig) -> bool:
    return checkin_opens(session, config) <= now <= session.ends_at
