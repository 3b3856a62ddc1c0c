"""Reports on the same problem: the candidates a similarity check reads (bounded: one topic and
place, a recent window, the newest ``CANDIDATE_LIMIT``), merged reports (``items.duplicate_of``)
and who follows an original, and the 多区同类问题 clusters with their card in a city topic group."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.cosign import item_cosigners
from storage.items import OPEN
from storage.schema import UTCDateTime, item_targets, items, members, metadata

# The platform holds 10,000+ reports; one topic in one district over 90 days is far fewer, and
# the newest this many of them are what a member could mean.
CANDIDATE_LIMIT = 500

report_clusters = Table(
    "report_clusters", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic_code", String(48), ForeignKey("topics.code"), nullable=False),
    Column("target_id", Integer, ForeignKey("targets.id")),  # where its card was posted; None: not yet
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

report_cluster_items = Table(
    "report_cluster_items", metadata,
    Column("cluster_id", Integer, ForeignKey("report_clusters.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
)
Index("ix_report_cluster_items_item", report_cluster_items.c.item_id)  # the clusters a report is in

def _not_merged():
    return items.c.duplicate_of.is_(None)


def _newest(query):
    return query.order_by(items.c.id.desc()).limit(CANDIDATE_LIMIT)


def _open_in_place_query(citywide: bool):
    """Built once per kind (city-wide, or a district's): what scoring reads, no more."""
    place = items.c.area == "city" if citywide else items.c.district_code == bindparam("district")
    return _newest(select(items.c.id, items.c.title, items.c.observation).where(
        items.c.topic_code == bindparam("topic"), place, items.c.status.in_(OPEN),
        items.c.created_at >= bindparam("since", type_=items.c.created_at.type), _not_merged()))


OPEN_IN_PLACE = {citywide: _open_in_place_query(citywide) for citywide in (True, False)}


async def open_in_place(conn: AsyncConnection, *, topic: str, district: str | None, since: datetime) -> list:
    """Open reports on ``topic`` since ``since`` in ``district`` (its streets included), or
    city-wide ones when ``district`` is None: their id, title and observation, newest first."""
    return list(await conn.execute(OPEN_IN_PLACE[district is None],
                                   {"topic": topic, "since": since, "district": district}))


async def seen_at_target(conn: AsyncConnection, target_id: int, *, since: datetime, besides: int) -> list:
    """Reports that are or were at a target since ``since`` (what its liaisons may see), not
    withdrawn or merged themselves, other than ``besides``."""
    at_target = select(item_targets.c.item_id).where(item_targets.c.target_id == target_id)
    return list(await conn.execute(_newest(select(items).where(
        items.c.id.in_(at_target), items.c.id != besides, items.c.created_at >= since,
        items.c.status != "withdrawn", _not_merged()))))


async def was_at(conn: AsyncConnection, item_id: int, target_id: int) -> bool:
    return (await conn.execute(select(item_targets.c.id).where(
        item_targets.c.item_id == item_id, item_targets.c.target_id == target_id).limit(1))).first() is not None


async def repoint(conn: AsyncConnection, from_id: int, to_id: int, now: datetime) -> None:
    """Reports merged into ``from_id`` now follow ``to_id`` (which ``from_id`` is merged into)."""
    await conn.execute(update(items).where(items.c.duplicate_of == from_id).values(duplicate_of=to_id, updated_at=now))


async def followers(conn: AsyncConnection, item_id: int) -> list:
    """Members who hear of the report's progress besides its author: those who co-signed it, and
    the authors and co-signers of the reports merged into it. Joined, reachable members, once each."""
    merged = select(items.c.id).where(items.c.duplicate_of == item_id)
    signed = select(item_cosigners.c.member_id).where(
        item_cosigners.c.status == "signed",
        (item_cosigners.c.item_id == item_id) | item_cosigners.c.item_id.in_(merged))
    merged_authors = select(items.c.author_id).where(items.c.duplicate_of == item_id)
    return list(await conn.execute(select(members).where(
        members.c.id.in_(signed) | members.c.id.in_(merged_authors), members.c.active.is_(True),
        members.c.telegram_user_id.is_not(None)).order_by(members.c.id)))


# --- 多区同类问题 clusters -----------------------------------------------------------------

async def recent_in_districts(conn: AsyncConnection, *, topic: str, since: datetime) -> list:
    """Reports on ``topic`` since ``since`` that belong to a district, not withdrawn or merged."""
    return list(await conn.execute(_newest(select(items).where(
        items.c.topic_code == topic, items.c.district_code.is_not(None), items.c.created_at >= since,
        items.c.status != "withdrawn", _not_merged()))))


async def cluster_of(conn: AsyncConnection, item_ids: list[int]):
    """The oldest cluster that holds any of the items, if any."""
    if not item_ids:
        return None
    holding = select(report_cluster_items.c.cluster_id).where(report_cluster_items.c.item_id.in_(item_ids))
    return (await conn.execute(select(report_clusters).where(report_clusters.c.id.in_(holding))
                               .order_by(report_clusters.c.id).limit(1))).first()


async def cluster(conn: AsyncConnection, cluster_id: int):
    return (await conn.execute(select(report_clusters).where(report_clusters.c.id == cluster_id))).first()


async def clusters_of_item(conn: AsyncConnection, item_id: int) -> list:
    holding = select(report_cluster_items.c.cluster_id).where(report_cluster_items.c.item_id == item_id)
    return list(await conn.execute(select(report_clusters).where(report_clusters.c.id.in_(holding))))


async def create_cluster(conn: AsyncConnection, topic: str, now: datetime) -> int:
    return (await conn.execute(report_clusters.insert().values(
        topic_code=topic, created_at=now, updated_at=now))).inserted_primary_key[0]


async def add_to_cluster(conn: AsyncConnection, cluster_id: int, item_ids: list[int], now: datetime) -> list[int]:
    """Adds the items not in the cluster yet; returns those added."""
    present = set((await conn.execute(select(report_cluster_items.c.item_id).where(
        report_cluster_items.c.cluster_id == cluster_id))).scalars())
    added = [i for i in item_ids if i not in present]
    if added:
        await conn.execute(report_cluster_items.insert(), [{"cluster_id": cluster_id, "item_id": i} for i in added])
        await conn.execute(update(report_clusters).where(report_clusters.c.id == cluster_id).values(updated_at=now))
    return added


async def cluster_items(conn: AsyncConnection, cluster_id: int) -> list:
    """The cluster's reports, oldest first."""
    held = select(report_cluster_items.c.item_id).where(report_cluster_items.c.cluster_id == cluster_id)
    return list(await conn.execute(select(items).where(items.c.id.in_(held)).order_by(items.c.id)))


async def unshown_clusters(conn: AsyncConnection, topic: str) -> list:
    """A topic's clusters whose card has not been posted anywhere yet."""
    return list(await conn.execute(select(report_clusters).where(
        report_clusters.c.topic_code == topic, report_clusters.c.target_id.is_(None)).order_by(report_clusters.c.id)))


async def set_cluster_target(conn: AsyncConnection, cluster_id: int, target_id: int) -> None:
    await conn.execute(update(report_clusters).where(report_clusters.c.id == cluster_id)
                       .values(target_id=target_id))
