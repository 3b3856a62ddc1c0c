"""民主监督 (oversight): items the office or a committee follows up with a responsible department
(承办单位), every change of their status (who, when, why), the department's replies as the office
records them, the members' ratings of each reply, and inspections (视察: study-calendar sessions
linked to items) with the findings participants attach to the items.

An item's ``round`` counts its departments' answers: 1 at the start, one more each time members'
不满意 reopens it; replies and ratings belong to a round. ``raisers`` is the list of member ids
who raised it (a report's author and co-signers, a statement's author, or those the office
named), taken when the item is opened: they rate the replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.departments import departments
from storage.schema import UTCDateTime, members, metadata
from storage.study import study_rsvps, study_sessions

oversight_items = Table(
    "oversight_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(200), nullable=False),
    Column("department_id", Integer, ForeignKey("departments.id"), nullable=False),
    Column("promise", Text, nullable=False),  # what was promised (承诺事项)
    Column("source_kind", String(12), nullable=False),  # report | statement | own
    Column("source_id", Integer),  # items.id or consultation_statements.id
    Column("committee_code", String(48)),  # None: the office's own item
    Column("raisers", JSON, nullable=False),  # member ids who rate the replies
    Column("status", String(24), nullable=False),
    Column("round", Integer, nullable=False, default=1),
    Column("due_days", Integer, nullable=False),  # working days the department has to reply
    Column("due_at", UTCDateTime),  # this round's deadline, once sent
    Column("opened_by", String(64), nullable=False),  # "cli" or "member:3"
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
)

oversight_steps = Table(  # every change of status: who, when, why
    "oversight_steps", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("oversight_items.id"), nullable=False),
    Column("status_from", String(24)),
    Column("status_to", String(24), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("at", UTCDateTime, nullable=False),
)

oversight_replies = Table(
    "oversight_replies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("oversight_items.id"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("file_name", String(200)),  # the document the office attached, kept at file_path
    Column("file_path", String(500)),
    Column("recorded_by", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

oversight_ratings = Table(
    "oversight_ratings", metadata,
    Column("item_id", Integer, ForeignKey("oversight_items.id"), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("rating", String(12), nullable=False),  # satisfied | basically | unsatisfied
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

oversight_inspections = Table(  # an inspection (视察) is a study-calendar session linked to items
    "oversight_inspections", metadata,
    Column("item_id", Integer, ForeignKey("oversight_items.id"), primary_key=True),
    Column("session_id", Integer, ForeignKey("study_sessions.id"), primary_key=True),
    Column("linked_at", UTCDateTime, nullable=False),
)

oversight_findings = Table(
    "oversight_findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("oversight_items.id"), nullable=False),
    Column("session_id", Integer, ForeignKey("study_sessions.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)


# --- items and their steps -------------------------------------------------------------------

async def create(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(oversight_items.insert().values(**values))).inserted_primary_key[0]


async def by_id(conn: AsyncConnection, item_id: int, *, lock: bool = False):
    query = select(oversight_items).where(oversight_items.c.id == item_id)
    return (await conn.execute(query.with_for_update() if lock else query)).first()


async def change(conn: AsyncConnection, item_id: int, **values) -> None:
    await conn.execute(update(oversight_items).where(oversight_items.c.id == item_id).values(**values))


async def add_step(conn: AsyncConnection, item_id: int, status_from: str | None, status_to: str, actor: str,
                   reason: str, at: datetime) -> None:
    await conn.execute(oversight_steps.insert().values(item_id=item_id, status_from=status_from,
                                                       status_to=status_to, actor=actor, reason=reason, at=at))


async def steps(conn: AsyncConnection, item_id: int) -> list:
    return list(await conn.execute(select(oversight_steps).where(oversight_steps.c.item_id == item_id)
                                   .order_by(oversight_steps.c.id)))


async def listing(conn: AsyncConnection, *, status: str | None = None, year_start: datetime | None = None,
                  year_end: datetime | None = None, item_id: int | None = None,
                  closed_since: datetime | None = None, closed_until: datetime | None = None) -> list:
    """Items with their department's names, newest first."""
    query = (select(oversight_items, departments.c.code.label("department_code"),
                    departments.c.name_zh.label("department_zh"), departments.c.name_en.label("department_en"))
             .join(departments, departments.c.id == oversight_items.c.department_id)
             .order_by(oversight_items.c.id.desc()))
    if status:
        query = query.where(oversight_items.c.status == status)
    if year_start is not None:
        query = query.where(oversight_items.c.created_at >= year_start, oversight_items.c.created_at < year_end)
    if item_id is not None:
        query = query.where(oversight_items.c.id == item_id)
    if closed_since is not None:
        query = query.where(oversight_items.c.closed_at >= closed_since, oversight_items.c.closed_at < closed_until)
    return list(await conn.execute(query))


async def with_department(conn: AsyncConnection, item_id: int):
    rows = await listing(conn, item_id=item_id)
    return rows[0] if rows else None


async def closed_between(conn: AsyncConnection, since: datetime, until: datetime) -> list:
    return await listing(conn, status="closed", closed_since=since, closed_until=until)


# --- replies and ratings -----------------------------------------------------------------------

async def add_reply(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(oversight_replies.insert().values(**values))).inserted_primary_key[0]


async def replies(conn: AsyncConnection, item_id: int) -> list:
    return list(await conn.execute(select(oversight_replies).where(oversight_replies.c.item_id == item_id)
                                   .order_by(oversight_replies.c.id)))


async def rate(conn: AsyncConnection, item_id: int, round_: int, member_id: int, rating: str, reason: str,
               at: datetime) -> None:
    """A member's rating of a round's reply (a second rating of the same round replaces the first)."""
    await conn.execute(oversight_ratings.delete().where(
        oversight_ratings.c.item_id == item_id, oversight_ratings.c.round == round_,
        oversight_ratings.c.member_id == member_id))
    await conn.execute(oversight_ratings.insert().values(item_id=item_id, round=round_, member_id=member_id,
                                                         rating=rating, reason=reason, at=at))


async def ratings(conn: AsyncConnection, item_id: int, round_: int | None = None) -> list:
    query = (select(oversight_ratings, members.c.name, members.c.roster_id)
             .join(members, members.c.id == oversight_ratings.c.member_id)
             .where(oversight_ratings.c.item_id == item_id)
             .order_by(oversight_ratings.c.round, oversight_ratings.c.at))
    if round_ is not None:
        query = query.where(oversight_ratings.c.round == round_)
    return list(await conn.execute(query))


async def ratings_of(conn: AsyncConnection, member_id: int) -> list:
    return list(await conn.execute(
        select(oversight_ratings, oversight_items.c.subject)
        .join(oversight_items, oversight_items.c.id == oversight_ratings.c.item_id)
        .where(oversight_ratings.c.member_id == member_id).order_by(oversight_ratings.c.at)))


# --- inspections and findings ------------------------------------------------------------------

async def link(conn: AsyncConnection, item_id: int, session_id: int, now: datetime) -> bool:
    found = (await conn.execute(select(oversight_inspections).where(
        oversight_inspections.c.item_id == item_id, oversight_inspections.c.session_id == session_id))).first()
    if found is not None:
        return False
    await conn.execute(oversight_inspections.insert().values(item_id=item_id, session_id=session_id, linked_at=now))
    return True


async def sessions_of(conn: AsyncConnection, item_id: int) -> list:
    return list(await conn.execute(
        select(study_sessions).join(oversight_inspections, oversight_inspections.c.session_id == study_sessions.c.id)
        .where(oversight_inspections.c.item_id == item_id).order_by(study_sessions.c.starts_at)))


async def items_of_session(conn: AsyncConnection, session_id: int) -> list:
    return list(await conn.execute(
        select(oversight_items).join(oversight_inspections, oversight_inspections.c.item_id == oversight_items.c.id)
        .where(oversight_inspections.c.session_id == session_id).order_by(oversight_items.c.id)))


async def inspected_by(conn: AsyncConnection, member_id: int) -> list:
    """(item id, session id, session title, starts_at, rsvp status, checked_in_at) of every linked
    session the member signed up for (attending, or checked in)."""
    return list(await conn.execute(
        select(oversight_inspections.c.item_id, study_sessions.c.id.label("session_id"), study_sessions.c.title,
               study_sessions.c.starts_at, study_sessions.c.ends_at, study_sessions.c.status.label("session_status"),
               study_rsvps.c.status, study_rsvps.c.checked_in_at)
        .join(study_sessions, study_sessions.c.id == oversight_inspections.c.session_id)
        .join(study_rsvps, study_rsvps.c.session_id == study_sessions.c.id)
        .where(study_rsvps.c.member_id == member_id, study_rsvps.c.status == "attending")
        .order_by(study_sessions.c.starts_at)))


async def add_finding(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(oversight_findings.insert().values(**values))).inserted_primary_key[0]


async def findings(conn: AsyncConnection, item_id: int) -> list:
    return list(await conn.execute(
        select(oversight_findings, members.c.name, members.c.roster_id, study_sessions.c.title.label("session_title"))
        .join(members, members.c.id == oversight_findings.c.member_id)
        .join(study_sessions, study_sessions.c.id == oversight_findings.c.session_id)
        .where(oversight_findings.c.item_id == item_id).order_by(oversight_findings.c.id)))


async def findings_of(conn: AsyncConnection, member_id: int) -> list:
    return list(await conn.execute(
        select(oversight_findings, oversight_items.c.subject)
        .join(oversight_items, oversight_items.c.id == oversight_findings.c.item_id)
        .where(oversight_findings.c.member_id == member_id).order_by(oversight_findings.c.id)))


# --- points (handlers/oversight/points.py) -----------------------------------------------------

async def inspection_checkins(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    """Check-ins at sessions linked to an item: member_id, session_id, title, at."""
    linked = select(oversight_inspections.c.session_id)
    query = (select(study_rsvps.c.member_id, study_rsvps.c.session_id, study_sessions.c.title,
                    study_rsvps.c.checked_in_at.label("at"))
             .join(study_sessions, study_sessions.c.id == study_rsvps.c.session_id)
             .where(study_rsvps.c.session_id.in_(linked), study_rsvps.c.checked_in_at.is_not(None),
                    study_rsvps.c.checked_in_at < until))
    if since is not None:
        query = query.where(study_rsvps.c.checked_in_at >= since)
    return list(await conn.execute(query))


async def findings_between(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    query = (select(oversight_findings.c.id, oversight_findings.c.member_id, oversight_findings.c.at,
                    oversight_items.c.subject)
             .join(oversight_items, oversight_items.c.id == oversight_findings.c.item_id)
             .where(oversight_findings.c.at < until))
    if since is not None:
        query = query.where(oversight_findings.c.at >= since)
    return list(await conn.execute(query))


async def count(conn: AsyncConnection) -> int:
    return (await conn.execute(select(func.count()).select_from(oversight_items))).scalar_one()
