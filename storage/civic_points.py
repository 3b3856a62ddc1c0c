"""The recorded events the deliberation and consultation features' points come from
(handlers/deliberation/points.py, handlers/consultation/points.py): each query returns the rows
whose event time falls in [since, until) — ``since`` None: from the start. A hiding and a pin
are read from the audit log, which records each with its moment (the contributions table keeps
only the state)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import (audit_log, consultation_checkins, consultation_statements, consultations, contributions,
                            deliberations)


def _window(column, since: datetime | None, until: datetime):
    return (column < until) if since is None else ((column >= since) & (column < until))


_VIEW = (contributions.c.id, contributions.c.member_id, contributions.c.number, contributions.c.status,
         contributions.c.created_at, deliberations.c.title)


async def views_written(conn: AsyncConnection, since: datetime | None, until: datetime,
                        *, status: str | None = None) -> list:
    """Views (root contributions, not replies) by the time they were written, with the topic's
    title: id, member_id, number, status, created_at, title; ``status``: only those now in it."""
    query = (select(*_VIEW).join(deliberations, deliberations.c.id == contributions.c.deliberation_id)
             .where(contributions.c.parent_id.is_(None), _window(contributions.c.created_at, since, until)))
    if status is not None:
        query = query.where(contributions.c.status == status)
    return list(await conn.execute(query))


async def views_moderated(conn: AsyncConnection, action: str, since: datetime | None, until: datetime) -> list:
    """Views the committee hid or pinned (``action``: "deliberation.hide" | "deliberation.pin"), by
    the audit entry's time: the view's columns as ``views_written`` and ``at``."""
    moments: dict[int, datetime] = {}
    for row in await conn.execute(select(audit_log.c.detail, audit_log.c.created_at).where(
            audit_log.c.action == action, _window(audit_log.c.created_at, since, until))):
        contribution = (row.detail or {}).get("contribution")
        if isinstance(contribution, int):
            moments.setdefault(contribution, row.created_at)
    if not moments:
        return []
    rows = await conn.execute(select(*_VIEW).join(deliberations, deliberations.c.id == contributions.c.deliberation_id)
                              .where(contributions.c.id.in_(list(moments)), contributions.c.parent_id.is_(None)))
    return [(row, moments[row.id]) for row in rows]


async def statements_accepted(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    """Written statements accepted by the organisers, by the decision's time: id, member_id,
    title, decided_at, meeting_title."""
    return list(await conn.execute(
        select(consultation_statements.c.id, consultation_statements.c.member_id, consultation_statements.c.title,
               consultation_statements.c.decided_at, consultations.c.title.label("meeting_title"))
        .join(consultations, consultations.c.id == consultation_statements.c.consultation_id)
        .where(consultation_statements.c.status == "accepted",
               _window(consultation_statements.c.decided_at, since, until))))


async def speakers(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    """Accepted statements whose author spoke in person, by the meeting's end: id, member_id,
    title, ends_at, meeting_title."""
    return list(await conn.execute(
        select(consultation_statements.c.id, consultation_statements.c.member_id, consultation_statements.c.title,
               consultations.c.ends_at, consultations.c.title.label("meeting_title"))
        .join(consultations, consultations.c.id == consultation_statements.c.consultation_id)
        .where(consultation_statements.c.status == "accepted", consultation_statements.c.in_person.is_(True),
               _window(consultations.c.ends_at, since, until))))


async def meetings_checked_in(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    """Check-ins at consultation meetings, by their time: consultation_id, member_id, at, title."""
    return list(await conn.execute(
        select(consultation_checkins.c.consultation_id, consultation_checkins.c.member_id, consultation_checkins.c.at,
               consultations.c.title)
        .join(consultations, consultations.c.id == consultation_checkins.c.consultation_id)
        .where(_window(consultation_checkins.c.at, since, until))))
