"""Digests: each member's choice of how often to hear the news, the record of each digest run,
and the statistics a digest shows (from ``items`` and ``item_events``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, and_, cast, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import outbox as outbox_store
from storage.dialect import insert_ignoring_duplicates

from storage.schema import (UTCDateTime, item_events, item_tags, item_targets, items, members, metadata, outbox,
                            target_liaisons)

FREQUENCIES = ("instant", "daily", "weekly", "off")
DEFAULT_FREQUENCY = "weekly"

digest_prefs = Table(
    "digest_prefs", metadata,
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("frequency", String(16), nullable=False),  # instant | daily | weekly | off
    Column("updated_at", UTCDateTime, nullable=False),
)

digest_runs = Table(
    "digest_runs", metadata,
    Column("period", String(64), primary_key=True),  # "weekly:2026-06-15", "liaison:2026-06-16", ...
    Column("kind", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("recipients", Integer, nullable=False),
    # the last member an unfinished run has written rows for (written with each chunk's rows): a
    # restart resumes after it; NULL once the run went through every member
    Column("cursor", Integer),
)

# A digest reads one window (a week, a day, an hour) of a million reports and their events: the new
# ones counted from the index alone, the replies and outcomes found by kind.
Index("ix_items_created", items.c.created_at, items.c.duplicate_of, items.c.district_code, items.c.topic_code)
Index("ix_item_events_created", item_events.c.created_at)
Index("ix_item_events_kind_created", item_events.c.kind, item_events.c.created_at)


# --- preferences ----------------------------------------------------------------------

async def frequency(conn: AsyncConnection, member_id: int) -> str:
    value = (await conn.execute(select(digest_prefs.c.frequency)
                                .where(digest_prefs.c.member_id == member_id))).scalar()
    return value or DEFAULT_FREQUENCY


async def frequencies(conn: AsyncConnection, member_ids: list[int]) -> dict[int, str]:
    """These members' stored choices; members without one get ``DEFAULT_FREQUENCY``."""
    return dict((await conn.execute(select(digest_prefs.c.member_id, digest_prefs.c.frequency)
                                    .where(digest_prefs.c.member_id.in_(member_ids)))).all())


async def set_frequency(conn: AsyncConnection, member_id: int, value: str, now: datetime) -> None:
    if value not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {FREQUENCIES}")
    exists = (await conn.execute(select(digest_prefs.c.member_id)
                                 .where(digest_prefs.c.member_id == member_id))).first()
    if exists:
        await conn.execute(digest_prefs.update().where(digest_prefs.c.member_id == member_id)
                           .values(frequency=value, updated_at=now))
    else:
        await conn.execute(digest_prefs.insert().values(member_id=member_id, frequency=value, updated_at=now))


# --- runs -----------------------------------------------------------------------------

async def run(conn: AsyncConnection, period: str):
    return (await conn.execute(select(digest_runs).where(digest_runs.c.period == period))).first()


async def record_run(conn: AsyncConnection, period: str, kind: str, recipients: int, now: datetime) -> None:
    if await run(conn, period) is None:
        await conn.execute(digest_runs.insert().values(period=period, kind=kind, created_at=now,
                                                       recipients=recipients))


async def advance_run(conn: AsyncConnection, period: str, kind: str, added: int, cursor: int | None,
                      now: datetime) -> None:
    """A chunk of a run is written: ``added`` more recipients, and the run has reached member
    ``cursor`` (None: it is finished)."""
    if await run(conn, period) is None:
        await conn.execute(digest_runs.insert().values(period=period, kind=kind, created_at=now, recipients=added,
                                                       cursor=cursor))
    else:
        await conn.execute(update(digest_runs).where(digest_runs.c.period == period).values(
            recipients=digest_runs.c.recipients + added, cursor=cursor))


async def recent_runs(conn: AsyncConnection, limit: int = 10) -> list:
    return list(await conn.execute(select(digest_runs).order_by(digest_runs.c.created_at.desc()).limit(limit)))


async def queued_keys(conn: AsyncConnection, keys: list[str]) -> set[str]:
    """Which of these outbox keys (``digest:{period}:{member_id}``) are written already: who has it."""
    return set((await conn.execute(select(outbox.c.key).where(outbox.c.key.in_(keys)))).scalars()) if keys else set()


# --- what a digest shows ----------------------------------------------------------------

def _recipients(query, frequency: str | None):
    """Members a digest may go to — active and bound to Telegram, reachable —; with ``frequency``,
    only those who chose it."""
    query = query.where(members.c.active.is_(True), members.c.telegram_user_id.is_not(None),
                        members.c.reachable.is_(True))
    if frequency is not None:
        query = query.join(digest_prefs, digest_prefs.c.member_id == members.c.id).where(
            digest_prefs.c.frequency == frequency)
    return query


async def recipients(conn: AsyncConnection, *, frequency: str | None = None, ids: list[int] | None = None) -> list:
    """The members a digest may go to (``_recipients``), by id; with ``ids``, only those."""
    query = _recipients(select(members), frequency)
    if ids is not None:
        query = query.where(members.c.id.in_(ids))
    return list(await conn.execute(query.order_by(members.c.id)))


async def next_recipients(conn: AsyncConnection, *, after: int, limit: int,
                          frequency: str | None) -> tuple[int, int | None]:
    """Of the next ``limit`` recipients after member ``after``: how many there are, and the last one's id."""
    chunk = _recipients(select(members.c.id), frequency).where(members.c.id > after).order_by(
        members.c.id).limit(limit).subquery()
    count, last = (await conn.execute(select(func.count(), func.max(chunk.c.id)))).one()
    return count, last


async def queue_drafts(conn: AsyncConnection, *, after: int, last: int, frequency: str | None, key_prefix: str,
                       args: dict[str, str], not_before: datetime, now: datetime) -> int:
    """A draft outbox row (storage/outbox.py) for every recipient after member ``after`` up to
    ``last``, in one INSERT … SELECT: key ``{key_prefix}{member id}``, params ``args`` and
    ``"member": member id``; a recipient whose key exists is skipped. Returns the drafts written."""
    json_object = func.json_object if conn.dialect.name == "sqlite" else func.json_build_object
    pairs = [literal(part, String) for name, value in args.items() for part in (name, value)]
    drafts = _recipients(select(
        literal(key_prefix, String) + cast(members.c.id, String), literal("sendMessage", String),
        json_object(*pairs, literal("member", String), members.c.id), members.c.telegram_user_id,
        literal(False), literal(outbox_store.BULK), literal(outbox_store.DRAFT, String), literal(0),
        literal(not_before, UTCDateTime), literal(now, UTCDateTime)), frequency).where(
        members.c.id > after, members.c.id <= last).order_by(members.c.id)
    columns = ["key", "method", "params", "chat_id", "is_group", "priority", "status", "attempts", "not_before",
               "created_at"]
    result = await conn.execute(insert_ignoring_duplicates(conn, outbox).from_select(columns, drafts))
    return result.rowcount


async def open_count(conn: AsyncConnection, open_statuses: tuple[str, ...]) -> int:
    """How many items are open now (the office's statistics)."""
    return (await conn.execute(select(func.count()).select_from(items)
                               .where(items.c.status.in_(open_statuses)))).scalar_one()


async def own_items(conn: AsyncConnection, author_ids: list[int], *, open_statuses: tuple[str, ...],
                    since: datetime) -> dict[int, list]:
    """Per author: their open items, and those closed or resolved since ``since`` (what a digest
    shows of each: code, title, status)."""
    query = select(items.c.id, items.c.author_id, items.c.code, items.c.title, items.c.status).where(items.c.author_id.in_(author_ids), or_(
        items.c.status.in_(open_statuses), items.c.closed_at >= since,
        and_(items.c.outcome.is_not(None), items.c.updated_at >= since)))
    found: dict[int, list] = defaultdict(list)
    for row in await conn.execute(query.order_by(items.c.id)):
        found[row.author_id].append(row)
    return found


async def latest_events(conn: AsyncConnection, item_ids: list[int]) -> dict[int, object]:
    """The most recent event of each item: its kind, where it went, when."""
    if not item_ids:
        return {}
    last = (select(func.max(item_events.c.id)).where(item_events.c.item_id.in_(item_ids))
            .group_by(item_events.c.item_id))
    rows = await conn.execute(select(item_events.c.item_id, item_events.c.kind, item_events.c.to_target_id,
                                     item_events.c.created_at).where(item_events.c.id.in_(last)))
    return {row.item_id: row for row in rows}


def _empty() -> dict[str, int]:
    return {"new": 0, "answered": 0, "adopted": 0}


async def numbers(conn: AsyncConnection, since: datetime, until: datetime, *, by: str = "topic_code",
                  district: str | None = None) -> dict[str, dict[str, int]]:
    """New / answered / adopted items in [since, until), grouped by ``by`` (topic_code or
    district_code of the item), optionally only the items of one district. Answered counts the
    items that got a reply or an 'answered' outcome in the window; adopted, the adoptions."""
    return await _numbers(conn, since, until, [items.c[by]], district)


async def city_and_district_numbers(conn: AsyncConnection, since: datetime,
                                    until: datetime) -> tuple[dict[str, dict[str, int]], dict[str, dict]]:
    """``numbers`` by topic for the city and for every district, from one set of queries (the city's
    are the sums of every district's and the city-wide reports'): (topic code → counts, district
    code → topic code → counts)."""
    city: dict[str, dict[str, int]] = defaultdict(_empty)
    by_district: dict[str, dict] = defaultdict(dict)
    for (district, topic), row in (await _numbers(conn, since, until, [items.c.district_code, items.c.topic_code],
                                                  None)).items():
        for name, count in row.items():
            city[topic][name] += count
        if district is not None:
            by_district[district][topic] = row
    return dict(city), dict(by_district)


async def _numbers(conn: AsyncConnection, since: datetime, until: datetime, group: list, district: str | None) -> dict:
    def key(row):
        return row[0] if len(group) == 1 else tuple(row[:len(group)])

    # a report merged into another is that one's: counted once, as the original
    where = [items.c.duplicate_of.is_(None), *([] if district is None else [items.c.district_code == district])]
    table: dict[str, dict[str, int]] = defaultdict(_empty)
    for row in await conn.execute(
            select(*group, func.count()).where(items.c.created_at >= since, items.c.created_at < until, *where)
            .group_by(*group)):
        table[key(row)]["new"] = row[-1]
    answered = or_(item_events.c.kind == "replied",
                   and_(item_events.c.kind == "outcome", item_events.c.status_to == "answered"))
    adopted = and_(item_events.c.kind == "outcome", item_events.c.status_to == "adopted")
    for name, condition in (("answered", answered), ("adopted", adopted)):
        rows = await conn.execute(
            select(*group, func.count(func.distinct(item_events.c.item_id)))
            .select_from(item_events.join(items, items.c.id == item_events.c.item_id))
            .where(item_events.c.created_at >= since, item_events.c.created_at < until, condition, *where)
            .group_by(*group))
        for row in rows:
            table[key(row)][name] = row[-1]
    return dict(table)


async def tag_counts(conn: AsyncConnection, since: datetime, until: datetime) -> dict[str, int]:
    """Tag code → how many items submitted in [since, until) carry it."""
    return dict((await conn.execute(
        select(item_tags.c.tag_code, func.count()).join(items, items.c.id == item_tags.c.item_id)
        .where(items.c.created_at >= since, items.c.created_at < until).group_by(item_tags.c.tag_code))).all())


async def adoptions(conn: AsyncConnection, since: datetime, until: datetime) -> list:
    """Items adopted in [since, until), newest adoption first, with their author's name and privacy
    (the caller decides what may be shown)."""
    return list(await conn.execute(
        select(items.c.id, items.c.code, items.c.title, items.c.topic_code, items.c.district_code, items.c.privacy,
               members.c.name.label("author_name"), func.max(item_events.c.created_at).label("adopted_at"))
        .select_from(item_events.join(items, items.c.id == item_events.c.item_id)
                     .join(members, members.c.id == items.c.author_id))
        .where(item_events.c.kind == "outcome", item_events.c.status_to == "adopted",
               item_events.c.created_at >= since, item_events.c.created_at < until,
               # an adoption stays one whatever steps follow (报送, 批示, 转办, 反馈), unless later undone
               items.c.outcome.not_in(("not_adopted", "duplicate")))
        .group_by(items.c.id, items.c.code, items.c.title, items.c.topic_code, items.c.district_code,
                  items.c.privacy, members.c.name)
        .order_by(func.max(item_events.c.created_at).desc(), items.c.id.desc())))


async def liaison_targets(conn: AsyncConnection) -> dict[int, list[int]]:
    """Member id → ids of the targets they are a liaison of."""
    found: dict[int, list[int]] = defaultdict(list)
    for target_id, member_id in await conn.execute(
            select(target_liaisons.c.target_id, target_liaisons.c.member_id).order_by(target_liaisons.c.target_id)):
        found[member_id].append(target_id)
    return dict(found)


async def queue(conn: AsyncConnection, target_id: int, statuses: tuple[str, ...]) -> list:
    """Items handled at a target (not those it watches) in the given statuses, oldest first, with
    when they arrived there."""
    return list(await conn.execute(
        select(items, item_targets.c.routed_at).join(item_targets, item_targets.c.item_id == items.c.id)
        .where(item_targets.c.target_id == target_id, item_targets.c.active.is_(True),
               item_targets.c.role == "handle", items.c.status.in_(statuses))
        .order_by(items.c.updated_at, items.c.id)))
