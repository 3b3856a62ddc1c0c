"""The study calendar's point sources (handlers/core/points.py): ``study.attended`` for each
check-in at a session (the code typed at the session), ``study.full_training`` for a reading
plan checked in on every one of its days (the study calendar's whole course: what it records as
complete), earned at the last day's check-in."""

from __future__ import annotations

from handlers.core.points import PointEvent
from storage import point_events

ATTENDED, FULL_TRAINING = "study.attended", "study.full_training"


async def events(conn, since, until) -> list[PointEvent]:
    found = [PointEvent(row.member_id, ATTENDED, "session", str(row.session_id), row.at, row.title[:120])
             for row in await point_events.checked_in(conn, since, until)]
    found += [PointEvent(row.member_id, FULL_TRAINING, "plan", str(row.plan_id), row.at, row.title[:120])
              for row in await point_events.plans_completed(conn, since, until)]
    return found
