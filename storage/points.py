"""The points ledger (积分): the office's rules, the entries (one per event and kind, never
edited: a correction is an entry of its own) and each member's choice to see their rank."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint, delete, desc, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, members, metadata, outbox


# --- points (积分) and the duty record (handlers/points/) ----------------------------------------

point_rules = Table(  # the office's table of rules; seeds/points.yaml gives a local starting table
    "point_rules", metadata,
    Column("key", String(48), primary_key=True),  # e.g. report.submit, study.attended
    Column("points", Integer, nullable=False),
    Column("cap_per_month", Integer),  # None: no cap; else the most a member earns by it a month
    Column("label_zh", String(64), nullable=False),
    Column("label_en", String(96), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

point_entries = Table(  # the ledger: one row per event and kind, never edited
    "point_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("rule_key", String(48), nullable=False),  # "correction" for the office's corrections
    Column("source_kind", String(24), nullable=False),  # item | session | plan | correction | …
    Column("source_id", String(48), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("reason", String(200), nullable=False),  # short; a report's code or a session's title at most
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("actor", String(64)),  # corrections: who made it ("cli", "member:3")
    Column("kind", String(12), nullable=False),  # earned | given_back | capped | correction
    UniqueConstraint("member_id", "rule_key", "source_kind", "source_id", "kind", name="uq_point_entries_event"),
)
Index("ix_point_entries_member", point_entries.c.member_id, point_entries.c.occurred_at)

point_prefs = Table(
    "point_prefs", metadata,
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("rank_opt_in", Boolean, nullable=False, default=False),
)

EARNED, GIVEN_BACK, CAPPED, CORRECTION = "earned", "given_back", "capped", "correction"


# --- rules ----------------------------------------------------------------------------------------

async def rules(conn: AsyncConnection) -> dict[str, object]:
    return {row.key: row for row in await conn.execute(select(point_rules).order_by(point_rules.c.key))}


async def rule(conn: AsyncConnection, key: str):
    return (await conn.execute(select(point_rules).where(point_rules.c.key == key))).first()


async def set_rule(conn: AsyncConnection, key: str, now: datetime, **values) -> None:
    await conn.execute(update(point_rules).where(point_rules.c.key == key).values(updated_at=now, **values))


async def add_missing_rules(conn: AsyncConnection, rows: list[dict], now: datetime) -> int:
    """The seed's rules not in the table yet; the office's values are kept. Returns how many added."""
    known = set(await rules(conn))
    fresh = [{**row, "updated_at": now} for row in rows if row["key"] not in known]
    if fresh:
        await conn.execute(point_rules.insert(), fresh)
    return len(fresh)


# --- entries --------------------------------------------------------------------------------------

async def entry(conn: AsyncConnection, member_id: int, rule_key: str, source_kind: str, source_id: str,
                kinds: tuple[str, ...]):
    """The entry of this event with one of ``kinds`` (earned and capped never both exist)."""
    return (await conn.execute(select(point_entries).where(
        point_entries.c.member_id == member_id, point_entries.c.rule_key == rule_key,
        point_entries.c.source_kind == source_kind, point_entries.c.source_id == source_id,
        point_entries.c.kind.in_(kinds)))).first()


async def add_entry(conn: AsyncConnection, **values) -> None:
    await conn.execute(point_entries.insert().values(**values))


async def earned_between(conn: AsyncConnection, member_id: int, rule_key: str, start: datetime,
                         end: datetime) -> int:
    """Points the member earned by the rule with events in [start, end) (what a cap counts)."""
    return (await conn.execute(select(func.coalesce(func.sum(point_entries.c.amount), 0)).where(
        point_entries.c.member_id == member_id, point_entries.c.rule_key == rule_key,
        point_entries.c.kind == EARNED, point_entries.c.occurred_at >= start,
        point_entries.c.occurred_at < end))).scalar_one()


async def latest_event_at(conn: AsyncConnection) -> datetime | None:
    """When the latest collected event happened (corrections are not events)."""
    return (await conn.execute(select(func.max(point_entries.c.occurred_at))
                               .where(point_entries.c.kind != CORRECTION))).scalar()


async def forget_collected(conn: AsyncConnection) -> int:
    """Every entry but the office's corrections (a recompute collects them again)."""
    return (await conn.execute(delete(point_entries).where(point_entries.c.kind != CORRECTION))).rowcount


async def total(conn: AsyncConnection, member_id: int, start: datetime, end: datetime) -> int:
    return (await conn.execute(select(func.coalesce(func.sum(point_entries.c.amount), 0)).where(
        point_entries.c.member_id == member_id, point_entries.c.occurred_at >= start,
        point_entries.c.occurred_at < end))).scalar_one()


async def of_member(conn: AsyncConnection, member_id: int, *, start: datetime | None = None,
                    end: datetime | None = None, limit: int | None = None) -> list:
    """The member's entries, newest first."""
    query = select(point_entries).where(point_entries.c.member_id == member_id)
    if start is not None:
        query = query.where(point_entries.c.occurred_at >= start, point_entries.c.occurred_at < end)
    return list(await conn.execute(query.order_by(desc(point_entries.c.occurred_at), desc(point_entries.c.id))
                                   .limit(limit)))


async def between(conn: AsyncConnection, start: datetime, end: datetime) -> list:
    """Every entry in the window with its member's roster id and name, oldest first (exports)."""
    return list(await conn.execute(
        select(point_entries, members.c.roster_id, members.c.name)
        .join(members, members.c.id == point_entries.c.member_id)
        .where(point_entries.c.occurred_at >= start, point_entries.c.occurred_at < end)
        .order_by(point_entries.c.occurred_at, point_entries.c.id)))


# --- preferences ----------------------------------------------------------------------------------

async def rank_opted_in(conn: AsyncConnection, member_id: int) -> bool:
    row = (await conn.execute(select(point_prefs.c.rank_opt_in).where(point_prefs.c.member_id == member_id))).first()
    return bool(row and row.rank_opt_in)


async def set_rank_opt_in(conn: AsyncConnection, member_id: int, value: bool) -> None:
    changed = await conn.execute(update(point_prefs).where(point_prefs.c.member_id == member_id)
                                 .values(rank_opt_in=value))
    if not changed.rowcount:
        await conn.execute(point_prefs.insert().values(member_id=member_id, rank_opt_in=value))


async def standings(conn: AsyncConnection, start: datetime, end: datetime) -> list:
    """Every active member with their total of the window (0 without entries): id, roster_id,
    name, level, district_code, sector_code, total; highest first, then by roster id."""
    sums = (select(point_entries.c.member_id, func.sum(point_entries.c.amount).label("total"))
            .where(point_entries.c.occurred_at >= start, point_entries.c.occurred_at < end)
            .group_by(point_entries.c.member_id).subquery())
    score = func.coalesce(sums.c.total, 0).label("total")
    return list(await conn.execute(
        select(members.c.id, members.c.roster_id, members.c.name, members.c.level, members.c.district_code,
               members.c.sector_code, score)
        .outerjoin(sums, sums.c.member_id == members.c.id).where(members.c.active.is_(True))
        .order_by(desc(score), members.c.roster_id)))


def message_key(member_id: int, update_id: int) -> str:
    """The outbox key of a /points answer (the opt-in button acts only on such a message)."""
    return f"points:{member_id}:{update_id}"


async def is_points_message(conn: AsyncConnection, member_id: int, message_id: int | None) -> bool:
    """Was this message of the member's chat a /points answer to them?"""
    if message_id is None:
        return False
    found = await conn.execute(select(outbox.c.id).where(outbox.c.key.like(f"points:{member_id}:%"),
                                                         outbox.c.message_id == message_id).limit(1))
    return found.first() is not None
