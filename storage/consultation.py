"""Consultation meetings (专题协商会, 远程协商): venues, RSVPs with the venue chosen, check-ins,
written statements (书面发言), speaking requests (申请发言), live comments (在线留言) and the
departments' responses. The tables are in storage/schema.py (its consultation section).

A member's RSVP row exists once the meeting was announced to them (answer ``invited``) or once
they answer from ``/consultations``; ``venue`` answers name the venue, ``online`` and ``absent``
do not. Comments are numbered per meeting in the order they came.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert_ignoring_duplicates
from storage.schema import (
    committees,
    consultation_checkins,
    consultation_comments,
    consultation_responses,
    consultation_rsvps,
    consultation_speak_requests,
    consultation_statements,
    consultation_venues,
    consultations,
    members,
)

PEOPLE = (members.c.roster_id, members.c.name, members.c.language, members.c.telegram_user_id,
          members.c.reachable, members.c.active, members.c.district_code, members.c.sector_code)


# --- meetings -----------------------------------------------------------------------------------

async def create(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(consultations.insert().values(**values))).inserted_primary_key[0]


async def meeting(conn: AsyncConnection, meeting_id: int, *, lock: bool = False):
    query = select(consultations).where(consultations.c.id == meeting_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def change(conn: AsyncConnection, meeting_id: int, **values) -> None:
    await conn.execute(update(consultations).where(consultations.c.id == meeting_id).values(**values))


async def meetings(conn: AsyncConnection, *, ending_after: datetime | None = None,
                   announced_only: bool = False) -> list:
    query = select(consultations).order_by(consultations.c.starts_at, consultations.c.id)
    if ending_after is not None:
        query = query.where(consultations.c.ends_at > ending_after)
    if announced_only:
        query = query.where(consultations.c.status == "announced")
    return list(await conn.execute(query))


async def ended_between(conn: AsyncConnection, since: datetime, until: datetime) -> list:
    return list(await conn.execute(select(consultations).where(
        consultations.c.status == "announced", consultations.c.ends_at >= since, consultations.c.ends_at < until)
        .order_by(consultations.c.ends_at)))


async def committee(conn: AsyncConnection, code: str):
    return (await conn.execute(select(committees).where(committees.c.code == code))).first()


async def committee_staff(conn: AsyncConnection, code: str) -> list:
    """The committee's own staff (专委会工作人员) the bot can write to."""
    return list(await conn.execute(select(members).where(
        members.c.role == "staff", members.c.committee_code == code, members.c.active.is_(True),
        members.c.telegram_user_id.is_not(None)).order_by(members.c.roster_id)))


# --- venues -------------------------------------------------------------------------------------

async def _new_code(conn: AsyncConnection) -> str:
    """An eight-digit check-in code: longer than a study session's six, so the two never meet."""
    while True:
        code = f"{secrets.randbelow(90000000) + 10000000}"
        if (await conn.execute(select(consultation_venues.c.id)
                               .where(consultation_venues.c.checkin_code == code))).first() is None:
            return code


async def replace_venues(conn: AsyncConnection, meeting_id: int, venues: list[dict]) -> None:
    """The meeting's venues, in order (the main venue first); each gets a check-in code."""
    await conn.execute(delete(consultation_venues).where(consultation_venues.c.consultation_id == meeting_id))
    for position, venue in enumerate(venues):
        await conn.execute(consultation_venues.insert().values(
            consultation_id=meeting_id, position=position, checkin_code=await _new_code(conn), **venue))


async def venues(conn: AsyncConnection, meeting_id: int) -> list:
    return list(await conn.execute(select(consultation_venues).where(
        consultation_venues.c.consultation_id == meeting_id).order_by(consultation_venues.c.position)))


async def venue_by_code(conn: AsyncConnection, code: str):
    return (await conn.execute(select(consultation_venues)
                               .where(consultation_venues.c.checkin_code == code))).first()


# --- RSVPs and check-ins ------------------------------------------------------------------------

async def rsvp(conn: AsyncConnection, meeting_id: int, member_id: int):
    return (await conn.execute(select(consultation_rsvps).where(
        consultation_rsvps.c.consultation_id == meeting_id, consultation_rsvps.c.member_id == member_id))).first()


async def answered_pairs(conn: AsyncConnection, meeting_ids: list[int]) -> set[tuple[int, int]]:
    """(meeting, member) of every answer on record for these meetings."""
    return set((await conn.execute(select(consultation_rsvps.c.consultation_id, consultation_rsvps.c.member_id)
                                   .where(consultation_rsvps.c.consultation_id.in_(meeting_ids)))).all())


async def ensure_rsvp(conn: AsyncConnection, meeting_id: int, member_id: int, now: datetime):
    await conn.execute(insert_ignoring_duplicates(conn, consultation_rsvps).values(
        consultation_id=meeting_id, member_id=member_id, answer="invited", updated_at=now))
    return await rsvp(conn, meeting_id, member_id)


async def change_rsvp(conn: AsyncConnection, meeting_id: int, member_id: int, now: datetime, **values) -> None:
    await conn.execute(update(consultation_rsvps).where(
        consultation_rsvps.c.consultation_id == meeting_id, consultation_rsvps.c.member_id == member_id)
        .values(updated_at=now, **values))


async def rsvps(conn: AsyncConnection, meeting_id: int) -> list:
    """Every RSVP of a meeting with the member's roster id, name, language and chat."""
    return list(await conn.execute(
        select(consultation_rsvps, *PEOPLE).join(members, members.c.id == consultation_rsvps.c.member_id)
        .where(consultation_rsvps.c.consultation_id == meeting_id).order_by(members.c.roster_id)))


async def rsvps_of(conn: AsyncConnection, member_id: int) -> list:
    """The member's invitations with their meeting's title and times."""
    return list(await conn.execute(
        select(consultation_rsvps, consultations.c.title, consultations.c.starts_at, consultations.c.ends_at)
        .join(consultations, consultations.c.id == consultation_rsvps.c.consultation_id)
        .where(consultation_rsvps.c.member_id == member_id).order_by(consultations.c.starts_at)))


async def checkin(conn: AsyncConnection, meeting_id: int, member_id: int):
    return (await conn.execute(select(consultation_checkins).where(
        consultation_checkins.c.consultation_id == meeting_id, consultation_checkins.c.member_id == member_id))).first()


async def add_checkin(conn: AsyncConnection, meeting_id: int, member_id: int, venue_id: int | None,
                      now: datetime) -> None:
    await conn.execute(insert_ignoring_duplicates(conn, consultation_checkins).values(
        consultation_id=meeting_id, member_id=member_id, venue_id=venue_id, at=now))


async def checkins(conn: AsyncConnection, meeting_id: int) -> list:
    return list(await conn.execute(
        select(consultation_checkins, *PEOPLE).join(members, members.c.id == consultation_checkins.c.member_id)
        .where(consultation_checkins.c.consultation_id == meeting_id).order_by(consultation_checkins.c.at)))


async def checkins_of(conn: AsyncConnection, member_id: int) -> list:
    return list(await conn.execute(
        select(consultation_checkins, consultations.c.title)
        .join(consultations, consultations.c.id == consultation_checkins.c.consultation_id)
        .where(consultation_checkins.c.member_id == member_id)))


# --- written statements (书面发言) ----------------------------------------------------------------

async def add_statement(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(consultation_statements.insert().values(**values))).inserted_primary_key[0]


async def statement(conn: AsyncConnection, statement_id: int):
    return (await conn.execute(select(consultation_statements)
                               .where(consultation_statements.c.id == statement_id))).first()


async def change_statement(conn: AsyncConnection, statement_id: int, **values) -> None:
    await conn.execute(update(consultation_statements).where(consultation_statements.c.id == statement_id)
                       .values(**values))


async def statements(conn: AsyncConnection, meeting_id: int, *, status: str | None = None) -> list:
    """A meeting's statements with their authors, in the organiser's order (unordered ones last)."""
    query = (select(consultation_statements, *PEOPLE)
             .join(members, members.c.id == consultation_statements.c.member_id)
             .where(consultation_statements.c.consultation_id == meeting_id)
             .order_by(consultation_statements.c.position.is_(None), consultation_statements.c.position,
                       consultation_statements.c.id))
    if status is not None:
        query = query.where(consultation_statements.c.status == status)
    return list(await conn.execute(query))


async def statements_of(conn: AsyncConnection, member_id: int) -> list:
    return list(await conn.execute(
        select(consultation_statements, consultations.c.title.label("meeting_title"))
        .join(consultations, consultations.c.id == consultation_statements.c.consultation_id)
        .where(consultation_statements.c.member_id == member_id).order_by(consultation_statements.c.id)))


# --- speaking requests (申请发言) -----------------------------------------------------------------

async def add_speak_request(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(consultation_speak_requests.insert().values(**values))).inserted_primary_key[0]


async def speak_request(conn: AsyncConnection, request_id: int):
    return (await conn.execute(select(consultation_speak_requests)
                               .where(consultation_speak_requests.c.id == request_id))).first()


async def change_speak_request(conn: AsyncConnection, request_id: int, **values) -> None:
    await conn.execute(update(consultation_speak_requests).where(consultation_speak_requests.c.id == request_id)
                       .values(**values))


async def speak_requests(conn: AsyncConnection, meeting_id: int) -> list:
    return list(await conn.execute(
        select(consultation_speak_requests, *PEOPLE).join(members, members.c.id == consultation_speak_requests.c.member_id)
        .where(consultation_speak_requests.c.consultation_id == meeting_id).order_by(consultation_speak_requests.c.id)))


async def speak_requests_of(conn: AsyncConnection, member_id: int) -> list:
    return list(await conn.execute(
        select(consultation_speak_requests, consultations.c.title.label("meeting_title"))
        .join(consultations, consultations.c.id == consultation_speak_requests.c.consultation_id)
        .where(consultation_speak_requests.c.member_id == member_id).order_by(consultation_speak_requests.c.id)))


# --- live comments (在线留言) ---------------------------------------------------------------------

async def add_comment(conn: AsyncConnection, meeting_id: int, member_id: int, text: str, named: bool,
                      now: datetime) -> tuple[int, int]:
    """The comment with the next number of the meeting; returns (id, number)."""
    number = 1 + (await conn.execute(select(func.coalesce(func.max(consultation_comments.c.number), 0)).where(
        consultation_comments.c.consultation_id == meeting_id))).scalar_one()
    comment_id = (await conn.execute(consultation_comments.insert().values(
        consultation_id=meeting_id, number=number, member_id=member_id, text=text, named=named,
        created_at=now))).inserted_primary_key[0]
    return comment_id, number


async def comment(conn: AsyncConnection, comment_id: int):
    return (await conn.execute(select(consultation_comments).where(consultation_comments.c.id == comment_id))).first()


async def mark_pushed(conn: AsyncConnection, comment_id: int, now: datetime) -> bool:
    """True the first time only: a comment is posted to the meeting's group once."""
    done = await conn.execute(update(consultation_comments).where(
        consultation_comments.c.id == comment_id, consultation_comments.c.pushed_at.is_(None)).values(pushed_at=now))
    return done.rowcount == 1


async def comments(conn: AsyncConnection, meeting_id: int) -> list:
    return list(await conn.execute(
        select(consultation_comments, *PEOPLE).join(members, members.c.id == consultation_comments.c.member_id)
        .where(consultation_comments.c.consultation_id == meeting_id).order_by(consultation_comments.c.number)))


async def comments_of(conn: AsyncConnection, member_id: int) -> list:
    return list(await conn.execute(
        select(consultation_comments, consultations.c.title.label("meeting_title"))
        .join(consultations, consultations.c.id == consultation_comments.c.consultation_id)
        .where(consultation_comments.c.member_id == member_id).order_by(consultation_comments.c.id)))


# --- departments' responses -----------------------------------------------------------------------

async def add_response(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(consultation_responses.insert().values(**values))).inserted_primary_key[0]


async def responses(conn: AsyncConnection, meeting_id: int) -> list:
    """Every response to the meeting's statements, oldest first."""
    return list(await conn.execute(
        select(consultation_responses).join(consultation_statements,
                                            consultation_statements.c.id == consultation_responses.c.statement_id)
        .where(consultation_statements.c.consultation_id == meeting_id).order_by(consultation_responses.c.id)))
