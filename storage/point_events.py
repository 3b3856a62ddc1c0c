"""The recorded events points come from, read for the reports and study features' point sources
(handlers/reports/points.py, handlers/study/points.py): each query returns the rows whose event
time falls in [since, until) — ``since`` None: from the start."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.cosign import item_cosigners
from storage.outcomes import item_outcomes
from storage.schema import item_events, items
from storage.study import study_plan_checkins, study_plan_days, study_plans, study_rsvps, study_sessions


def _window(column, since: datetime | None, until: datetime):
    return (column < until) if since is None else ((column >= since) & (column < until))


async def reached_liaison(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    """Reports by the time they first reached a liaison's group (routed): id, code, title, author_id, at."""
    first = (select(item_events.c.item_id, func.min(item_events.c.created_at).label("at"))
             .where(item_events.c.status_to == "routed").group_by(item_events.c.item_id).subquery())
    return list(await conn.execute(
        select(items.c.id, items.c.code, items.c.title, items.c.author_id, first.c.at)
        .join(first, first.c.item_id == items.c.id).where(_window(first.c.at, since, until))))


async def left_the_record(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    """Reports withdrawn or merged into another: id, code, title, author_id, status_to, at."""
    return list(await conn.execute(
        select(items.c.id, items.c.code, items.c.title, items.c.author_id, item_events.c.status_to,
               item_events.c.created_at.label("at"))
        .join(item_events, item_events.c.item_id == items.c.id)
        .where(item_events.c.status_to.in_(("withdrawn", "duplicate")),
               _window(item_events.c.created_at, since, until))))


async def cosigned(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    """Signatures of co-signers who accepted: id, code, title, member_id, at."""
    return list(await conn.execute(
        select(items.c.id, items.c.code, items.c.title, item_cosigners.c.member_id,
               item_cosigners.c.answered_at.label("at"))
        .join(items, items.c.id == item_cosigners.c.item_id)
        .where(item_cosigners.c.status == "signed", _window(item_cosigners.c.answered_at, since, until))))


async def first_outcomes(conn: AsyncConnection, kind: str, since: datetime | None, until: datetime) -> list:
    """Reports by the first step of ``kind`` in their chain (adopted, instructed): id, code, title,
    author_id, at."""
    first = (select(item_outcomes.c.item_id, func.min(item_outcomes.c.created_at).label("at"))
             .where(item_outcomes.c.kind == kind).group_by(item_outcomes.c.item_id).subquery())
    return list(await conn.execute(
        select(items.c.id, items.c.code, items.c.title, items.c.author_id, first.c.at)
        .join(first, first.c.item_id == items.c.id).where(_window(first.c.at, since, until))))


async def checked_in(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    """Check-ins at sessions not cancelled: session_id, title, member_id, at."""
    return list(await conn.execute(
        select(study_sessions.c.id.label("session_id"), study_sessions.c.title, study_rsvps.c.member_id,
               study_rsvps.c.checked_in_at.label("at"))
        .join(study_sessions, study_sessions.c.id == study_rsvps.c.session_id)
        .where(study_sessions.c.status != "cancelled", _window(study_rsvps.c.checked_in_at, since, until))))


async def plans_completed(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    """Reading plans a member checked in on every day of, by the last check-in: plan_id, title,
    member_id, at."""
    days = (select(study_plan_days.c.plan_id, func.count().label("days"))
            .group_by(study_plan_days.c.plan_id).subquery())
    done = (select(study_plan_checkins.c.plan_id, study_plan_checkins.c.member_id,
                   func.count().label("checked"), func.max(study_plan_checkins.c.checked_at).label("at"))
            .group_by(study_plan_checkins.c.plan_id, study_plan_checkins.c.member_id).subquery())
    return list(await conn.execute(
        select(study_plans.c.id.label("plan_id"), study_plans.c.title, done.c.member_id, done.c.at)
        .join(done, done.c.plan_id == study_plans.c.id).join(days, days.c.plan_id == study_plans.c.id)
        .where(study_plans.c.status != "cancelled", done.c.checked == days.c.days,
               _window(done.c.at, since, until))))
