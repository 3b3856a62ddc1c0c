"""Members (and staff), their Telegram binding, and one-time invites."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import insert_ignoring_duplicates
from storage.schema import districts, invites, member_aliases, members, streets, target_liaisons

ALIAS_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
ALIAS_LENGTH = 6


BY_TELEGRAM = select(members).where(members.c.telegram_user_id == bindparam("user"),  # built once: every update
                                    members.c.active.is_(True))


async def by_telegram(conn: AsyncConnection, user_id: int):
    return (await conn.execute(BY_TELEGRAM, {"user": user_id})).first()


BY_ID = select(members).where(members.c.id == bindparam("id"))


async def by_id(conn: AsyncConnection, member_id: int):
    return (await conn.execute(BY_ID, {"id": member_id})).first()


async def by_roster_id(conn: AsyncConnection, roster_id: str):
    return (await conn.execute(select(members).where(members.c.roster_id == roster_id))).first()


async def find(conn: AsyncConnection, ref: str):
    """A member by roster id, or by exact name when that name is unique."""
    row = await by_roster_id(conn, ref)
    if row:
        return row
    rows = (await conn.execute(select(members).where(members.c.name == ref))).all()
    return rows[0] if len(rows) == 1 else None


async def create(conn: AsyncConnection, **values) -> int:
    return (await conn.execute(members.insert().values(**values))).inserted_primary_key[0]


async def change(conn: AsyncConnection, member_id: int, **values) -> None:
    await conn.execute(update(members).where(members.c.id == member_id).values(**values))


async def alias(conn: AsyncConnection, member_id: int) -> str:
    """The member's alias, made on first use."""
    while (found := await alias_if_made(conn, member_id)) is None:
        fresh = "".join(secrets.choice(ALIAS_ALPHABET) for _ in range(ALIAS_LENGTH))
        # a clash (this member got one meanwhile, or the alias is taken) inserts nothing: look again
        await conn.execute(insert_ignoring_duplicates(conn, member_aliases).values(member_id=member_id, alias=fresh))
    return found


async def alias_if_made(conn: AsyncConnection, member_id: int) -> str | None:
    return (await conn.execute(select(member_aliases.c.alias)
                               .where(member_aliases.c.member_id == member_id))).scalar()


async def in_audience(conn: AsyncConnection, spec: dict) -> list:
    """The members (active, bound to Telegram) an audience spec (handlers/core/audience.py) addresses."""
    where = [members.c.active.is_(True), members.c.telegram_user_id.is_not(None)]
    column = {"level": members.c.level, "district": members.c.district_code,
              "committee": members.c.committee_code, "sector": members.c.sector_code}.get(spec["kind"])
    if column is not None:
        where.append(column == spec["value"])
    elif spec["kind"] == "list":
        where.append(members.c.roster_id.in_(spec["roster_ids"]))
    return list(await conn.execute(select(members).where(*where).order_by(members.c.id)))


async def admins(conn: AsyncConnection) -> list:
    return list(await conn.execute(select(members).where(
        members.c.role == "admin", members.c.active.is_(True),
        members.c.telegram_user_id.is_not(None))))


async def with_roles(conn: AsyncConnection) -> list:
    """Joined, active members whose role is more than member (liaisons, staff, admins)."""
    return list(await conn.execute(select(members).where(
        members.c.role != "member", members.c.active.is_(True),
        members.c.telegram_user_id.is_not(None)).order_by(members.c.id)))


async def set_language(conn: AsyncConnection, member_id: int, language: str) -> None:
    await conn.execute(update(members).where(members.c.id == member_id).values(language=language))


async def set_reachable(conn: AsyncConnection, telegram_user_id: int, reachable: bool) -> None:
    await conn.execute(update(members).where(members.c.telegram_user_id == telegram_user_id)
                       .values(reachable=reachable))


async def create_invite(conn: AsyncConnection, member_id: int, now: datetime, days: int) -> str:
    code = secrets.token_urlsafe(12)  # 16 characters: well inside the 64 of a deep link
    await conn.execute(invites.insert().values(code=code, member_id=member_id, created_at=now,
                                               expires_at=now + timedelta(days=days)))
    return code


async def roster(conn: AsyncConnection, *, district: str | None = None, level: str | None = None,
                 sector: str | None = None, committee: str | None = None, joined: bool | None = None,
                 active_only: bool = True) -> list:
    """Members in roster order, filtered (joined: bound to a Telegram account or not)."""
    where = [members.c.active.is_(True)] if active_only else []
    for column, value in ((members.c.district_code, district), (members.c.level, level),
                          (members.c.sector_code, sector), (members.c.committee_code, committee)):
        if value is not None:
            where.append(column == value)
    if joined is not None:
        where.append(members.c.telegram_user_id.is_not(None) if joined else members.c.telegram_user_id.is_(None))
    return list(await conn.execute(select(members).where(*where).order_by(members.c.roster_id)))


async def latest_invites(conn: AsyncConnection, member_ids: list[int]) -> dict[int, object]:
    """Each member's newest invite (code, created_at, expires_at, used_at), by member id."""
    if not member_ids:
        return {}
    newest = select(invites.c.member_id, func.max(invites.c.created_at).label("at")) \
        .where(invites.c.member_id.in_(member_ids)).group_by(invites.c.member_id).subquery()
    rows = await conn.execute(select(invites).join(newest, (newest.c.member_id == invites.c.member_id)
                                                   & (newest.c.at == invites.c.created_at)))
    return {r.member_id: r for r in rows}


async def invite(conn: AsyncConnection, code: str):
    return (await conn.execute(select(invites).where(invites.c.code == code))).first()


async def redeem_invite(conn: AsyncConnection, code: str, telegram_user_id: int, now: datetime) -> bool:
    """Use the invite and link the account; False if it was used (or expired) meanwhile. The
    check is in the UPDATE itself, so of concurrent attempts exactly one wins."""
    member_id = (await conn.execute(
        update(invites).where(invites.c.code == code, invites.c.used_at.is_(None), invites.c.expires_at > now)
        .values(used_at=now).returning(invites.c.member_id))).scalar()
    if member_id is None:
        return False
    linked = await conn.execute(update(members).where(members.c.id == member_id, members.c.telegram_user_id.is_(None))
                                .values(telegram_user_id=telegram_user_id, reachable=True))
    return linked.rowcount == 1


async def is_liaison_of(conn: AsyncConnection, member_id: int, target_id: int) -> bool:
    row = await conn.execute(select(target_liaisons.c.member_id).where(
        target_liaisons.c.member_id == member_id, target_liaisons.c.target_id == target_id))
    return row.first() is not None


async def place_names(conn: AsyncConnection, district_code: str | None, street_code: str | None):
    """(district row, street row) for display; either may be None."""
    district = street = None
    if district_code:
        district = (await conn.execute(select(districts).where(districts.c.code == district_code))).first()
    if street_code:
        street = (await conn.execute(select(streets).where(streets.c.code == street_code))).first()
    return district, street
