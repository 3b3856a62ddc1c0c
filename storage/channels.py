"""Content channels (工作信息, 政协动态, 党建专栏, one per district): channels, their editors, the
items posted to them, the members' subscriptions, the receipts of what was delivered, the RSS /
Atom feeds a channel follows with a record of every fetch, and members' consent to a profile
(委员风采).

An item is ``draft``, ``scheduled`` (``publish_at`` ahead), ``published`` or ``withdrawn``. A
receipt is written when the item reaches a member instantly (``opened_at``: their press of the
button). A subscription row exists only once a member chose: without one the default holds (a
city channel, or the member's own district's: subscribed, instant).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint,
                        func, select, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, members, metadata
from storage.schema import items as reports

channels = Table(
    "channels", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(48), nullable=False, unique=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(96), nullable=False),
    Column("district_code", String(32), ForeignKey("districts.code")),  # None: a city channel
    Column("audience", JSON, nullable=False),  # a handlers/core/audience.py spec
    Column("position", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
)

channel_editors = Table(
    "channel_editors", metadata,
    Column("channel_id", Integer, ForeignKey("channels.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("added_at", UTCDateTime, nullable=False),
)

channel_items = Table(
    "channel_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("kind", String(16), nullable=False, default="post"),  # post | profile | feed
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False, default=""),
    Column("link", String(1000)),
    Column("file", JSON),  # {"kind": photo|document, "value": file_id or {"$file": path}, "name": ...}
    Column("status", String(16), nullable=False),  # draft | scheduled | published | withdrawn
    Column("publish_at", UTCDateTime),
    Column("published_at", UTCDateTime),
    Column("edited_at", UTCDateTime),
    Column("withdrawn_at", UTCDateTime),
    Column("author_id", Integer, ForeignKey("members.id")),  # None: the command line or a feed
    Column("profile_member_id", Integer, ForeignKey("members.id")),  # a 委员风采 item's member
    Column("feed_id", Integer, ForeignKey("channel_feeds.id")),
    Column("entry_id", String(500)),  # the feed entry's id (de-duplication)
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("feed_id", "entry_id", name="uq_channel_items_feed_entry"),
)
Index("ix_channel_items_published", channel_items.c.status, channel_items.c.published_at)

channel_subscriptions = Table(
    "channel_subscriptions", metadata,
    Column("channel_id", Integer, ForeignKey("channels.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("subscribed", Boolean, nullable=False),
    Column("mode", String(16), nullable=False, default="instant"),  # instant | digest
    Column("updated_at", UTCDateTime, nullable=False),
)

channel_receipts = Table(
    "channel_receipts", metadata,
    Column("item_id", Integer, ForeignKey("channel_items.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("opened_at", UTCDateTime),
)

channel_feeds = Table(
    "channel_feeds", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("url", String(1000), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("added_at", UTCDateTime, nullable=False),
    Column("last_success_at", UTCDateTime),
    Column("last_failure_at", UTCDateTime),
    Column("last_error", String(300)),
    Column("failures", Integer, nullable=False, default=0),  # consecutive failures (the backoff)
    Column("next_fetch_at", UTCDateTime),
    UniqueConstraint("channel_id", "url", name="uq_channel_feeds_url"),
)

channel_feed_runs = Table(
    "channel_feed_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed_id", Integer, ForeignKey("channel_feeds.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("new_entries", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),  # entries without a title or an id
    Column("error", String(300)),
)

profile_consents = Table(
    "channel_profile_consents", metadata,
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("consent", Boolean, nullable=False),
    Column("note", String(300)),  # how it was given (e.g. "书面同意 2026-12-01")
    Column("recorded_at", UTCDateTime, nullable=False),
)


def insert_ignoring_duplicates(conn: AsyncConnection, table):
    """As storage.db's (which imports this module's tables through storage.tables)."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    return dialect.insert(table).on_conflict_do_nothing()


# --- channels and editors --------------------------------------------------------------------

async def add_missing(conn: AsyncConnection, rows: list[dict], now: datetime) -> int:
    """Seed channels by code; the office's own changes to existing ones are kept."""
    for row in rows:
        await conn.execute(insert_ignoring_duplicates(conn, channels), {**row, "created_at": now})
    return len(rows)


async def all_channels(conn: AsyncConnection) -> list:
    return list(await conn.execute(select(channels).order_by(channels.c.position, channels.c.id)))


async def by_code(conn: AsyncConnection, code: str):
    return (await conn.execute(select(channels).where(channels.c.code == code))).first()


async def by_id(conn: AsyncConnection, channel_id: int):
    return (await conn.execute(select(channels).where(channels.c.id == channel_id))).first()


async def add_editor(conn: AsyncConnection, channel_id: int, member_id: int, now: datetime) -> None:
    await conn.execute(insert_ignoring_duplicates(conn, channel_editors),
                       {"channel_id": channel_id, "member_id": member_id, "added_at": now})


async def remove_editor(conn: AsyncConnection, channel_id: int, member_id: int) -> bool:
    result = await conn.execute(channel_editors.delete().where(
        channel_editors.c.channel_id == channel_id, channel_editors.c.member_id == member_id))
    return bool(result.rowcount)


async def editors(conn: AsyncConnection, channel_id: int) -> list:
    return list(await conn.execute(
        select(members).join(channel_editors, channel_editors.c.member_id == members.c.id)
        .where(channel_editors.c.channel_id == channel_id).order_by(members.c.roster_id)))


async def edited_by(conn: AsyncConnection, member_id: int) -> set[int]:
    """The ids of the channels the member is listed as an editor of."""
    return set((await conn.execute(select(channel_editors.c.channel_id)
                                   .where(channel_editors.c.member_id == member_id))).scalars())


# --- items -------------------------------------------------------------------------------------

async def create_item(conn: AsyncConnection, **values) -> int:
    result = await conn.execute(channel_items.insert().values(**values))
    return result.inserted_primary_key[0]


async def item(conn: AsyncConnection, item_id: int):
    return (await conn.execute(select(channel_items).where(channel_items.c.id == item_id))).first()


async def update_item(conn: AsyncConnection, item_id: int, **values) -> None:
    await conn.execute(update(channel_items).where(channel_items.c.id == item_id).values(**values))


async def publish_if(conn: AsyncConnection, item_id: int, status: str, now: datetime) -> bool:
    """Publish an item still in ``status``; False when something else changed it first."""
    result = await conn.execute(update(channel_items).where(
        channel_items.c.id == item_id, channel_items.c.status == status)
        .values(status="published", published_at=now))
    return bool(result.rowcount)


async def items_of(conn: AsyncConnection, channel_id: int | None = None, limit: int = 20) -> list:
    query = select(channel_items).order_by(channel_items.c.id.desc()).limit(limit)
    if channel_id is not None:
        query = query.where(channel_items.c.channel_id == channel_id)
    return list(await conn.execute(query))


async def published_between(conn: AsyncConnection, since: datetime, until: datetime) -> list:
    """Items published in [since, until), newest first."""
    return list(await conn.execute(
        select(channel_items).where(channel_items.c.status == "published", channel_items.c.published_at >= since,
                                    channel_items.c.published_at < until)
        .order_by(channel_items.c.published_at.desc(), channel_items.c.id.desc())))


async def entry_known(conn: AsyncConnection, feed_id: int, entry_id: str) -> bool:
    found = await conn.execute(select(channel_items.c.id).where(channel_items.c.feed_id == feed_id,
                                                                channel_items.c.entry_id == entry_id))
    return found.first() is not None


# --- subscriptions ------------------------------------------------------------------------------

async def subscriptions(conn: AsyncConnection, member_id: int) -> dict[int, tuple[bool, str]]:
    """The member's own choices: channel id -> (subscribed, mode)."""
    rows = await conn.execute(select(channel_subscriptions).where(channel_subscriptions.c.member_id == member_id))
    return {r.channel_id: (r.subscribed, r.mode) for r in rows}


async def subscriptions_of_channel(conn: AsyncConnection, channel_id: int) -> dict[int, tuple[bool, str]]:
    rows = await conn.execute(select(channel_subscriptions).where(channel_subscriptions.c.channel_id == channel_id))
    return {r.member_id: (r.subscribed, r.mode) for r in rows}


async def all_subscriptions(conn: AsyncConnection) -> dict[tuple[int, int], tuple[bool, str]]:
    """Every choice made: (channel id, member id) -> (subscribed, mode) (for a digest's firing)."""
    rows = await conn.execute(select(channel_subscriptions))
    return {(r.channel_id, r.member_id): (r.subscribed, r.mode) for r in rows}


async def set_subscription(conn: AsyncConnection, channel_id: int, member_id: int, subscribed: bool, mode: str,
                           now: datetime) -> None:
    await conn.execute(channel_subscriptions.delete().where(channel_subscriptions.c.channel_id == channel_id,
                                                            channel_subscriptions.c.member_id == member_id))
    await conn.execute(channel_subscriptions.insert().values(channel_id=channel_id, member_id=member_id,
                                                             subscribed=subscribed, mode=mode, updated_at=now))


# --- receipts --------------------------------------------------------------------------------------

async def add_receipts(conn: AsyncConnection, item_id: int, member_ids: list[int], now: datetime) -> None:
    for member_id in member_ids:
        await conn.execute(insert_ignoring_duplicates(conn, channel_receipts),
                           {"item_id": item_id, "member_id": member_id, "sent_at": now})


async def receipt(conn: AsyncConnection, item_id: int, member_id: int):
    return (await conn.execute(select(channel_receipts).where(
        channel_receipts.c.item_id == item_id, channel_receipts.c.member_id == member_id))).first()


async def receipts(conn: AsyncConnection, item_id: int) -> list:
    """The receipts with the recipient's chat (for edits and withdrawals)."""
    return list(await conn.execute(
        select(channel_receipts, members.c.telegram_user_id, members.c.language)
        .join(members, members.c.id == channel_receipts.c.member_id)
        .where(channel_receipts.c.item_id == item_id).order_by(channel_receipts.c.member_id)))


async def mark_opened(conn: AsyncConnection, item_id: int, member_id: int, now: datetime) -> bool:
    result = await conn.execute(update(channel_receipts).where(
        channel_receipts.c.item_id == item_id, channel_receipts.c.member_id == member_id,
        channel_receipts.c.opened_at.is_(None)).values(opened_at=now))
    return bool(result.rowcount)


async def counts(conn: AsyncConnection, item_id: int) -> tuple[int, int]:
    """(received, opened)."""
    row = (await conn.execute(select(func.count(), func.count(channel_receipts.c.opened_at))
                              .where(channel_receipts.c.item_id == item_id))).one()
    return row[0], row[1]


async def received_by(conn: AsyncConnection, member_id: int) -> list:
    """For /mydata: the items that reached the member, with when they were opened."""
    return list(await conn.execute(
        select(channel_items.c.title, channel_receipts.c.sent_at, channel_receipts.c.opened_at)
        .join(channel_items, channel_items.c.id == channel_receipts.c.item_id)
        .where(channel_receipts.c.member_id == member_id).order_by(channel_receipts.c.sent_at)))


# --- feeds ----------------------------------------------------------------------------------------

async def add_feed(conn: AsyncConnection, channel_id: int, url: str, now: datetime) -> int:
    found = (await conn.execute(select(channel_feeds.c.id).where(channel_feeds.c.channel_id == channel_id,
                                                                 channel_feeds.c.url == url))).first()
    if found is not None:
        return found[0]
    result = await conn.execute(channel_feeds.insert().values(channel_id=channel_id, url=url, active=True,
                                                              added_at=now, failures=0, next_fetch_at=now))
    return result.inserted_primary_key[0]


async def feed(conn: AsyncConnection, feed_id: int):
    return (await conn.execute(select(channel_feeds).where(channel_feeds.c.id == feed_id))).first()


async def feeds(conn: AsyncConnection, active_only: bool = False) -> list:
    query = select(channel_feeds).order_by(channel_feeds.c.id)
    if active_only:
        query = query.where(channel_feeds.c.active.is_(True))
    return list(await conn.execute(query))


async def set_feed_active(conn: AsyncConnection, feed_id: int, active: bool) -> bool:
    result = await conn.execute(update(channel_feeds).where(channel_feeds.c.id == feed_id).values(active=active))
    return bool(result.rowcount)


async def record_run(conn: AsyncConnection, feed_id: int, now: datetime, *, ok: bool, new_entries: int = 0,
                     skipped: int = 0, error: str | None = None, next_fetch_at: datetime) -> None:
    await conn.execute(channel_feed_runs.insert().values(feed_id=feed_id, at=now, ok=ok, new_entries=new_entries,
                                                         skipped=skipped, error=error))
    if ok:
        values = {"last_success_at": now, "failures": 0}
    else:
        values = {"last_failure_at": now, "last_error": error, "failures": channel_feeds.c.failures + 1}
    await conn.execute(update(channel_feeds).where(channel_feeds.c.id == feed_id)
                       .values(next_fetch_at=next_fetch_at, **values))


async def runs(conn: AsyncConnection, feed_id: int, limit: int = 10) -> list:
    return list(await conn.execute(select(channel_feed_runs).where(channel_feed_runs.c.feed_id == feed_id)
                                   .order_by(channel_feed_runs.c.id.desc()).limit(limit)))


# --- profiles (委员风采) -----------------------------------------------------------------------------

async def set_consent(conn: AsyncConnection, member_id: int, consent: bool, note: str | None, now: datetime) -> None:
    await conn.execute(profile_consents.delete().where(profile_consents.c.member_id == member_id))
    await conn.execute(profile_consents.insert().values(member_id=member_id, consent=consent, note=note,
                                                        recorded_at=now))


async def consent(conn: AsyncConnection, member_id: int):
    return (await conn.execute(select(profile_consents).where(profile_consents.c.member_id == member_id))).first()


# --- for the publicity draft ------------------------------------------------------------------------

async def suggestions(conn: AsyncConnection, item_ids: list[int]) -> dict[int, str]:
    """The 意见建议 of reports (for the publicity draft of named, adopted reports)."""
    if not item_ids:
        return {}
    rows = await conn.execute(select(reports.c.id, reports.c.suggestion).where(reports.c.id.in_(item_ids)))
    return {row.id: row.suggestion for row in rows}
