"""Study sessions (委员学习, 读书班, training, 履职直播), their RSVPs and attendance, and reading
plans with daily check-ins. Times are stored in UTC; days of a plan are dates in Asia/Shanghai.

An RSVP row exists for every member a session was announced to (status ``invited``) and for
members who match the audience later and answer from ``/sessions``. Attendance is the
``checked_in_at`` of that row. The waiting list is ordered by ``queue_no``.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import first_of
from storage.schema import UTCDateTime, members, metadata

study_sessions = Table(
    "study_sessions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # study | reading | training | live
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("place", String(200)),
    Column("link", String(500)),
    Column("audience", JSON, nullable=False),  # handlers.core.audience spec
    Column("capacity", Integer),  # None = no limit
    Column("reminders", JSON, nullable=False),  # minutes before the start, e.g. [2880, 120]
    Column("status", String(12), nullable=False),  # draft | announced | cancelled
    Column("checkin_code", String(12), nullable=False, unique=True),
    Column("revision", Integer, nullable=False, default=0),  # +1 each time the session is moved
    # {"kind": "link"|"document", "value": URL | file_id | {"$file": path}, "name": ..., "to": "attended"|"invited"}
    Column("materials", JSON),
    Column("materials_sent_at", UTCDateTime),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("announced_at", UTCDateTime),
    Column("cancelled_at", UTCDateTime),
)
Index("ix_study_sessions_starts", study_sessions.c.starts_at)

study_rsvps = Table(
    "study_rsvps", metadata,
    Column("session_id", Integer, ForeignKey("study_sessions.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("status", String(12), nullable=False),  # invited | attending | waiting | excused
    Column("reason", String(300)),  # why excused
    Column("queue_no", Integer),  # order on the waiting list
    Column("card_key", String(96)),  # outbox key of the invitation card (edited in place)
    Column("answered_at", UTCDateTime),
    Column("checked_in_at", UTCDateTime),  # attendance
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_study_rsvps_member", study_rsvps.c.member_id)

study_plans = Table(
    "study_plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("start_date", Date, nullable=False),  # Asia/Shanghai date of day 1
    Column("remind_at", String(5), nullable=False),  # "08:30", Asia/Shanghai
    Column("audience", JSON, nullable=False),
    Column("status", String(12), nullable=False),  # active | cancelled
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

study_plan_days = Table(
    "study_plan_days", metadata,
    Column("plan_id", Integer, ForeignKey("study_plans.id"), primary_key=True),
    Column("day_no", Integer, primary_key=True),  # 1, 2, ...
    Column("on_date", Date, nullable=False),
    Column("kinds", String(64), nullable=False),  # "self-study", "self-study+lecture", ...
    Column("assignment", Text, nullable=False),
)

study_plan_checkins = Table(
    "study_plan_checkins", metadata,
    Column("plan_id", Integer, ForeignKey("study_plans.id"), primary_key=True),
    Column("day_no", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("checked_at", UTCDateTime, nullable=False),
)

# Wrong check-in codes per member, so guessing a six-digit code by /checkin has a ceiling.
study_wrong_codes = Table(
    "study_wrong_codes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
Index("ix_study_wrong_codes_member", study_wrong_codes.c.member_id, study_wrong_codes.c.at)

RSVP_STATES = ("invited", "attending", "waiting", "excused")


# --- sessions -------------------------------------------------------------------------------

async def new_code(conn: AsyncConnection) -> str:
    """A six-digit check-in code no other session has."""
    while True:
        code = f"{secrets.randbelow(900000) + 100000}"
        if (await conn.execute(select(study_sessions.c.id).where(study_sessions.c.checkin_code == code))).first() is None:
            return code


async def create_session(conn: AsyncConnection, **values) -> int:
    values.setdefault("checkin_code", await new_code(conn))
    result = await conn.execute(study_sessions.insert().values(**values))
    return result.inserted_primary_key[0]


async def session(conn: AsyncConnection, session_id: int, *, lock: bool = False):
    """One session; ``lock`` serialises RSVPs of that session on PostgreSQL (SQLite writes are
    serialised anyway)."""
    query = select(study_sessions).where(study_sessions.c.id == session_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def by_code(conn: AsyncConnection, code: str):
    return (await conn.execute(select(study_sessions).where(study_sessions.c.checkin_code == code))).first()


async def change_session(conn: AsyncConnection, session_id: int, **values) -> None:
    await conn.execute(update(study_sessions).where(study_sessions.c.id == session_id).values(**values))


async def sessions(conn: AsyncConnection, *, ending_after: datetime | None = None,
                   statuses: tuple[str, ...] | None = None) -> list:
    query = select(study_sessions).order_by(study_sessions.c.starts_at, study_sessions.c.id)
    if ending_after is not None:
        query = query.where(study_sessions.c.ends_at > ending_after)
    if statuses:
        query = query.where(study_sessions.c.status.in_(statuses))
    return list(await conn.execute(query))


# --- RSVPs and attendance ------------------------------------------------------------------

async def rsvp(conn: AsyncConnection, session_id: int, member_id: int):
    return (await conn.execute(select(study_rsvps).where(study_rsvps.c.session_id == session_id,
                                                         study_rsvps.c.member_id == member_id))).first()


async def ensure_rsvp(conn: AsyncConnection, session_id: int, member_id: int, now: datetime):
    """The member's RSVP row, made (``invited``) if missing."""
    row = await rsvp(conn, session_id, member_id)
    if row is None:
        await conn.execute(study_rsvps.insert().values(session_id=session_id, member_id=member_id,
                                                       status="invited", updated_at=now))
        row = await rsvp(conn, session_id, member_id)
    return row


async def change_rsvp(conn: AsyncConnection, session_id: int, member_id: int, now: datetime, **values) -> None:
    await conn.execute(update(study_rsvps).where(study_rsvps.c.session_id == session_id,
                                                 study_rsvps.c.member_id == member_id)
                       .values(updated_at=now, **values))


async def rsvps(conn: AsyncConnection, session_id: int) -> list:
    """Every RSVP of a session with the member's roster id, name, language and chat."""
    query = (select(study_rsvps, members.c.roster_id, members.c.name, members.c.language,
                    members.c.telegram_user_id, members.c.reachable, members.c.active)
             .join(members, members.c.id == study_rsvps.c.member_id)
             .where(study_rsvps.c.session_id == session_id)
             .order_by(study_rsvps.c.status, study_rsvps.c.queue_no, members.c.roster_id))
    return list(await conn.execute(query))


async def attending_count(conn: AsyncConnection, session_id: int) -> int:
    return (await conn.execute(select(func.count()).select_from(study_rsvps).where(
        study_rsvps.c.session_id == session_id, study_rsvps.c.status == "attending"))).scalar_one()


async def waiting_list(conn: AsyncConnection, session_id: int) -> list:
    """The waiting list, first in line first."""
    return list(await conn.execute(select(study_rsvps).where(
        study_rsvps.c.session_id == session_id, study_rsvps.c.status == "waiting")
        .order_by(study_rsvps.c.queue_no, study_rsvps.c.member_id)))


async def next_queue_no(conn: AsyncConnection, session_id: int) -> int:
    last = (await conn.execute(select(func.max(study_rsvps.c.queue_no)).where(
        study_rsvps.c.session_id == session_id))).scalar_one()
    return (last or 0) + 1


async def waiting_position(conn: AsyncConnection, session_id: int, member_id: int) -> int | None:
    for position, row in enumerate(await waiting_list(conn, session_id), start=1):
        if row.member_id == member_id:
            return position
    return None


async def counts(conn: AsyncConnection, session_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per session: invited (not answered) / attending / excused / waiting / checked_in."""
    result = {sid: {"invited": 0, "attending": 0, "excused": 0, "waiting": 0, "checked_in": 0}
              for sid in session_ids}
    if not session_ids:
        return result
    rows = await conn.execute(select(study_rsvps.c.session_id, study_rsvps.c.status, func.count())
                              .where(study_rsvps.c.session_id.in_(session_ids))
                              .group_by(study_rsvps.c.session_id, study_rsvps.c.status))
    for sid, status, number in rows:
        result[sid][status] = number
    rows = await conn.execute(select(study_rsvps.c.session_id, func.count())
                              .where(study_rsvps.c.session_id.in_(session_ids),
                                     study_rsvps.c.checked_in_at.is_not(None))
                              .group_by(study_rsvps.c.session_id))
    for sid, number in rows:
        result[sid]["checked_in"] = number
    return result


async def member_rsvps(conn: AsyncConnection, member_id: int) -> dict[int, object]:
    rows = await conn.execute(select(study_rsvps).where(study_rsvps.c.member_id == member_id))
    return {row.session_id: row for row in rows}


async def attendance_of(conn: AsyncConnection, member_id: int) -> list:
    """The member's answers and check-ins: title, starts_at, status, reason, checked_in_at."""
    return list(await conn.execute(
        select(study_sessions.c.title, study_sessions.c.starts_at, study_rsvps.c.status, study_rsvps.c.reason,
               study_rsvps.c.checked_in_at)
        .join(study_sessions, study_sessions.c.id == study_rsvps.c.session_id)
        .where(study_rsvps.c.member_id == member_id).order_by(study_sessions.c.starts_at)))


async def plan_checkins_of(conn: AsyncConnection, member_id: int) -> list:
    """The member's reading-plan check-ins: title, day_no, checked_at."""
    return list(await conn.execute(
        select(study_plans.c.title, study_plan_checkins.c.day_no, study_plan_checkins.c.checked_at)
        .join(study_plans, study_plans.c.id == study_plan_checkins.c.plan_id)
        .where(study_plan_checkins.c.member_id == member_id)
        .order_by(study_plan_checkins.c.checked_at)))


async def session_rsvps(conn: AsyncConnection, session_ids: list[int]) -> dict[tuple[int, int], object]:
    """Every RSVP of these sessions, by (session, member)."""
    if not session_ids:
        return {}
    rows = await conn.execute(select(study_rsvps).where(study_rsvps.c.session_id.in_(session_ids)))
    return {(row.session_id, row.member_id): row for row in rows}


# --- reading plans -------------------------------------------------------------------------

async def create_plan(conn: AsyncConnection, days: list[dict], **values) -> int:
    plan_id = (await conn.execute(study_plans.insert().values(**values))).inserted_primary_key[0]
    for day in days:
        await conn.execute(study_plan_days.insert().values(plan_id=plan_id, **day))
    return plan_id


async def plan(conn: AsyncConnection, plan_id: int):
    return (await conn.execute(select(study_plans).where(study_plans.c.id == plan_id))).first()


async def plans(conn: AsyncConnection, *, statuses: tuple[str, ...] | None = None) -> list:
    query = select(study_plans).order_by(study_plans.c.start_date, study_plans.c.id)
    if statuses:
        query = query.where(study_plans.c.status.in_(statuses))
    return list(await conn.execute(query))


async def change_plan(conn: AsyncConnection, plan_id: int, **values) -> None:
    await conn.execute(update(study_plans).where(study_plans.c.id == plan_id).values(**values))


async def plan_days(conn: AsyncConnection, plan_id: int) -> list:
    return list(await conn.execute(select(study_plan_days).where(study_plan_days.c.plan_id == plan_id)
                                   .order_by(study_plan_days.c.day_no)))


async def plan_day(conn: AsyncConnection, plan_id: int, day_no: int):
    return (await conn.execute(select(study_plan_days).where(study_plan_days.c.plan_id == plan_id,
                                                             study_plan_days.c.day_no == day_no))).first()


async def plan_day_on(conn: AsyncConnection, plan_id: int, on: date):
    return (await conn.execute(select(study_plan_days).where(study_plan_days.c.plan_id == plan_id,
                                                             study_plan_days.c.on_date == on))).first()


async def plan_checkin(conn: AsyncConnection, plan_id: int, day_no: int, member_id: int):
    return (await conn.execute(select(study_plan_checkins).where(
        study_plan_checkins.c.plan_id == plan_id, study_plan_checkins.c.day_no == day_no,
        study_plan_checkins.c.member_id == member_id))).first()


async def add_plan_checkin(conn: AsyncConnection, plan_id: int, day_no: int, member_id: int,
                           now: datetime) -> bool:
    """Record a daily check-in; False if the member already checked in that day."""
    if await plan_checkin(conn, plan_id, day_no, member_id) is not None:
        return False
    await conn.execute(study_plan_checkins.insert().values(plan_id=plan_id, day_no=day_no, member_id=member_id,
                                                           checked_at=now))
    return True


async def plan_checkin_counts(conn: AsyncConnection, plan_id: int) -> dict[int, int]:
    rows = await conn.execute(select(study_plan_checkins.c.day_no, func.count())
                              .where(study_plan_checkins.c.plan_id == plan_id)
                              .group_by(study_plan_checkins.c.day_no))
    return dict(rows.all())


# --- wrong check-in codes -----------------------------------------------------------------------

async def record_wrong_code(conn: AsyncConnection, member_id: int, at: datetime) -> None:
    await conn.execute(study_wrong_codes.insert().values(member_id=member_id, at=at))


async def wrong_codes_since(conn: AsyncConnection, member_id: int, since: datetime) -> list[datetime]:
    """When this member sent a wrong check-in code after ``since``, oldest first."""
    rows = await conn.execute(select(study_wrong_codes.c.at).where(
        study_wrong_codes.c.member_id == member_id, study_wrong_codes.c.at > since).order_by(study_wrong_codes.c.at))
    return [r.at for r in rows]


async def forget_wrong_codes(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Forget at most ``limit`` wrong check-in codes sent before ``before``."""
    result = await conn.execute(delete(study_wrong_codes).where(first_of(
        study_wrong_codes.c.id, limit, study_wrong_codes.c.at < before)))
    return result.rowcount
