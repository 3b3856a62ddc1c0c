"""调查研究 (research projects): members' proposed directions, the projects a committee opens from
them (or on its own), their milestones (选准课题 → 深入调研走访 → 交流调研成果), who joined, the
findings members submit, and the field visits — study-calendar sessions linked by
``research_visits`` (the study tables are not changed).

A proposal's ``committee_code`` None means the office; so does a project's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, members, metadata
from storage.study import study_rsvps, study_sessions

research_proposals = Table(  # a direction a member proposes (调研方向)
    "research_proposals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("committee_code", String(48), ForeignKey("committees.code")),  # None: the office
    Column("title", String(200), nullable=False),
    Column("why", Text, nullable=False),
    Column("questions", Text, nullable=False),  # what to find out
    Column("file_id", String(256)),
    Column("file_kind", String(16)),  # photo | document
    Column("status", String(12), nullable=False),  # pending | accepted | merged | declined
    Column("project_id", Integer),  # accepted as, or merged into
    Column("decline_reason", String(500)),
    Column("decided_by", String(64)),
    Column("decided_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)

research_projects = Table(  # 调研项目
    "research_projects", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("committee_code", String(48), ForeignKey("committees.code")),  # None: the office
    Column("title", String(200), nullable=False),
    Column("goal", Text, nullable=False),
    Column("questions", JSON, nullable=False),  # list of str
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("capacity", Integer),  # None: no limit
    Column("status", String(12), nullable=False),  # open | reported
    Column("proposal_id", Integer),
    Column("opened_by", Integer, ForeignKey("members.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("report_file_id", String(256)),  # a Telegram file_id, or a local path given as {"$file"} at upload
    Column("report_name", String(200)),
    Column("report_summary", Text),
    Column("reported_at", UTCDateTime),
)

research_milestones = Table(
    "research_milestones", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("research_projects.id"), nullable=False),
    Column("position", Integer, nullable=False),  # 1 选准课题, 2 深入调研走访, 3 交流调研成果
    Column("step", String(16), nullable=False),  # select | visit | exchange
    Column("due_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime),
)
Index("ix_research_milestones_project", research_milestones.c.project_id)

research_members = Table(  # one row per member who answered the call
    "research_members", metadata,
    Column("project_id", Integer, ForeignKey("research_projects.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("status", String(12), nullable=False),  # joined | declined | left
    Column("joined_at", UTCDateTime),
    Column("left_at", UTCDateTime),
    Column("answered_at", UTCDateTime, nullable=False),
)
Index("ix_research_members_member", research_members.c.member_id)

research_findings = Table(  # 调研发现: text, a photo or a document a participant submits
    "research_findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("research_projects.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("file_id", String(256)),
    Column("file_kind", String(16)),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_research_findings_project", research_findings.c.project_id)

research_visits = Table(  # a field visit (调研走访): a study-calendar session of the project
    "research_visits", metadata,
    Column("project_id", Integer, ForeignKey("research_projects.id"), primary_key=True),
    Column("session_id", Integer, ForeignKey("study_sessions.id"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)


# --- proposals --------------------------------------------------------------------------------------

async def add_proposal(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(research_proposals.insert().values(**values))).inserted_primary_key[0]


async def proposal(conn: AsyncConnection, proposal_id: int):
    return (await conn.execute(select(research_proposals).where(research_proposals.c.id == proposal_id))).first()


async def change_proposal(conn: AsyncConnection, proposal_id: int, **values) -> None:
    await conn.execute(update(research_proposals).where(research_proposals.c.id == proposal_id).values(**values))


async def proposals_of(conn: AsyncConnection, member_id: int) -> list:
    return list(await conn.execute(select(research_proposals).where(research_proposals.c.member_id == member_id)
                                   .order_by(research_proposals.c.id)))


async def proposals(conn: AsyncConnection) -> list:
    return list(await conn.execute(select(research_proposals).order_by(research_proposals.c.id)))


# --- projects and milestones ------------------------------------------------------------------------

async def create_project(conn: AsyncConnection, milestones: list[tuple[str, datetime]], **values) -> int:
    project_id = (await conn.execute(research_projects.insert().values(**values))).inserted_primary_key[0]
    for position, (step, due_at) in enumerate(milestones, 1):
        await conn.execute(research_milestones.insert().values(project_id=project_id, position=position, step=step,
                                                               due_at=due_at))
    return project_id


async def project(conn: AsyncConnection, project_id: int, *, lock: bool = False):
    query = select(research_projects).where(research_projects.c.id == project_id)
    return (await conn.execute(query.with_for_update() if lock else query)).first()


async def change_project(conn: AsyncConnection, project_id: int, **values) -> None:
    await conn.execute(update(research_projects).where(research_projects.c.id == project_id).values(**values))


async def projects(conn: AsyncConnection, statuses: tuple[str, ...] | None = None) -> list:
    """Projects, newest first."""
    query = select(research_projects).order_by(research_projects.c.id.desc())
    if statuses:
        query = query.where(research_projects.c.status.in_(statuses))
    return list(await conn.execute(query))


async def reported_between(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    query = select(research_projects).where(research_projects.c.reported_at.is_not(None),
                                            research_projects.c.reported_at < until)
    if since is not None:
        query = query.where(research_projects.c.reported_at >= since)
    return list(await conn.execute(query.order_by(research_projects.c.reported_at)))


async def milestones(conn: AsyncConnection, project_id: int) -> list:
    return list(await conn.execute(select(research_milestones).where(research_milestones.c.project_id == project_id)
                                   .order_by(research_milestones.c.position)))


async def steps_due_between(conn: AsyncConnection, start: datetime, end: datetime) -> list:
    """Steps not yet done of open projects, due in [start, end), with the project's title."""
    return list(await conn.execute(
        select(research_milestones, research_projects.c.title)
        .join(research_projects, research_projects.c.id == research_milestones.c.project_id)
        .where(research_projects.c.status == "open", research_milestones.c.done_at.is_(None),
               research_milestones.c.due_at >= start, research_milestones.c.due_at < end)
        .order_by(research_milestones.c.due_at)))


async def joined_pairs(conn: AsyncConnection, project_ids: list[int]) -> set[tuple[int, int]]:
    """(project, member) of everyone who joined these projects."""
    return set((await conn.execute(select(research_members.c.project_id, research_members.c.member_id).where(
        research_members.c.project_id.in_(project_ids), research_members.c.status == "joined"))).all())


async def milestone(conn: AsyncConnection, milestone_id: int):
    return (await conn.execute(select(research_milestones).where(research_milestones.c.id == milestone_id))).first()


async def change_milestone(conn: AsyncConnection, milestone_id: int, **values) -> None:
    await conn.execute(update(research_milestones).where(research_milestones.c.id == milestone_id).values(**values))


# --- who takes part ---------------------------------------------------------------------------------

async def membership(conn: AsyncConnection, project_id: int, member_id: int):
    return (await conn.execute(select(research_members).where(research_members.c.project_id == project_id,
                                                              research_members.c.member_id == member_id))).first()


async def answer(conn: AsyncConnection, project_id: int, member_id: int, now: datetime, **values) -> None:
    """Insert or change the member's answer to the call."""
    if await membership(conn, project_id, member_id) is None:
        await conn.execute(research_members.insert().values(project_id=project_id, member_id=member_id,
                                                            answered_at=now, **values))
    else:
        await conn.execute(update(research_members).where(research_members.c.project_id == project_id,
                                                          research_members.c.member_id == member_id)
                           .values(answered_at=now, **values))


async def joined_count(conn: AsyncConnection, project_id: int) -> int:
    return (await conn.execute(select(func.count()).select_from(research_members).where(
        research_members.c.project_id == project_id, research_members.c.status == "joined"))).scalar_one()


async def participants(conn: AsyncConnection, project_id: int) -> list:
    """Joined members with their details, in the order they joined."""
    return list(await conn.execute(
        select(research_members, members.c.roster_id, members.c.name, members.c.language, members.c.telegram_user_id,
               members.c.reachable, members.c.active, members.c.committee_code)
        .join(members, members.c.id == research_members.c.member_id)
        .where(research_members.c.project_id == project_id, research_members.c.status == "joined")
        .order_by(research_members.c.joined_at, members.c.id)))


async def answers(conn: AsyncConnection, project_id: int) -> list:
    """Every answer to the call (joined, declined, left) with the member's roster id and name."""
    return list(await conn.execute(
        select(research_members, members.c.roster_id, members.c.name)
        .join(members, members.c.id == research_members.c.member_id)
        .where(research_members.c.project_id == project_id).order_by(members.c.roster_id)))


async def memberships_of(conn: AsyncConnection, member_id: int) -> list:
    """The member's answers with each project's title and committee, oldest first."""
    return list(await conn.execute(
        select(research_members, research_projects.c.title, research_projects.c.committee_code,
               research_projects.c.status.label("project_status"), research_projects.c.reported_at)
        .join(research_projects, research_projects.c.id == research_members.c.project_id)
        .where(research_members.c.member_id == member_id).order_by(research_members.c.project_id)))


async def joins_between(conn: AsyncConnection, since: datetime | None, until: datetime, column: str) -> list:
    """Memberships whose ``joined_at`` (or ``left_at``) falls in [since, until), with the title."""
    at = research_members.c[column]
    query = (select(research_members.c.project_id, research_members.c.member_id, at.label("at"),
                    research_projects.c.title)
             .join(research_projects, research_projects.c.id == research_members.c.project_id)
             .where(at.is_not(None), at < until))
    if column == "left_at":
        query = query.where(research_members.c.status == "left")
    if since is not None:
        query = query.where(at >= since)
    return list(await conn.execute(query))


# --- findings and visits ----------------------------------------------------------------------------

async def add_finding(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(research_findings.insert().values(**values))).inserted_primary_key[0]


async def findings(conn: AsyncConnection, project_id: int) -> list:
    return list(await conn.execute(
        select(research_findings, members.c.roster_id, members.c.name)
        .join(members, members.c.id == research_findings.c.member_id)
        .where(research_findings.c.project_id == project_id).order_by(research_findings.c.id)))


async def findings_of(conn: AsyncConnection, member_id: int) -> list:
    return list(await conn.execute(
        select(research_findings, research_projects.c.title)
        .join(research_projects, research_projects.c.id == research_findings.c.project_id)
        .where(research_findings.c.member_id == member_id).order_by(research_findings.c.id)))


async def findings_between(conn: AsyncConnection, since: datetime | None, until: datetime) -> list:
    query = (select(research_findings.c.id, research_findings.c.member_id, research_findings.c.created_at.label("at"),
                    research_projects.c.title)
             .join(research_projects, research_projects.c.id == research_findings.c.project_id)
             .where(research_findings.c.created_at < until))
    if since is not None:
        query = query.where(research_findings.c.created_at >= since)
    return list(await conn.execute(query))


async def link_visit(conn: AsyncConnection, project_id: int, session_id: int, now: datetime) -> None:
    await conn.execute(research_visits.insert().values(project_id=project_id, session_id=session_id, created_at=now))


async def visits(conn: AsyncConnection, project_id: int) -> list:
    """The project's field visits: their sessions, earliest first."""
    return list(await conn.execute(
        select(study_sessions).join(research_visits, research_visits.c.session_id == study_sessions.c.id)
        .where(research_visits.c.project_id == project_id).order_by(study_sessions.c.starts_at)))


async def visits_attended(conn: AsyncConnection, project_id: int) -> dict[int, int]:
    """Member id → how many of the project's visits they checked in at."""
    rows = await conn.execute(
        select(study_rsvps.c.member_id, func.count())
        .join(research_visits, research_visits.c.session_id == study_rsvps.c.session_id)
        .where(research_visits.c.project_id == project_id, study_rsvps.c.checked_in_at.is_not(None))
        .group_by(study_rsvps.c.member_id))
    return {member_id: count for member_id, count in rows}
