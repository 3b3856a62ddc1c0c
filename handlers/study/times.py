"""When a session's check-in window is open (times as typed and shown: handlers/core/localtime.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.core.context import HandlerConfig


def checkin_opens(session, config: HandlerConfig) -> datetime:
    return session.starts_at - timedelta(minutes=config.study_checkin_early_minutes)


def in_checkin_window(session, now: datetime, config: HandlerConfig) -> bool:
    return checkin_opens(session, config) <= now <= session.ends_at
