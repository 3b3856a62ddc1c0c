"""Social-opinion items, their attachments, where they are, and their event history.

Every change of an item appends an event row (who, what, when, why): the audit trail,
the member's hop history and the source of statistics.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import attachments, counters, item_events, item_tags, item_targets, items, tags

# An item's states: WAITING at a target with nobody claiming it; OPEN waiting for someone; RESOLVED
# carrying an outcome (the latest step of its chain: 采用 → 报送 → 批示 → 转办 → 反馈) and waiting
# to be closed; CLOSED done.
WAITING = ("routed", "forwarded", "escalated", "delegated")
OPEN = ("submitted", *WAITING, "claimed", "needs_info", "answered")
RESOLVED = ("adopted", "reported_up", "instructed", "transferred", "feedback", "not_adopted", "duplicate")
CLOSED = ("withdrawn", "closed")
HANDLING = ("claimed", "needs_info", "answered")  # claimed by a liaison, no outcome yet

# The moves an item may make, from each state (handlers/reports/transitions.py makes them): a
# liaison's follow-ups from HANDLING, an outcome into RESOLVED, the chain's next step from one
# RESOLVED state to another (or the same: a second 转办), closing only after an outcome,
# withdrawing until closed; CLOSED is the end.
_FROM_HANDLING = ("needs_info", "answered", "routed", "forwarded", "escalated", "delegated", *RESOLVED,
                  "withdrawn")
MOVES: dict[str, tuple[str, ...]] = {
    "submitted": ("routed", "withdrawn"),
    # escalated: a watching city topic group takes an unclaimed district item up (提级办理)
    **dict.fromkeys(WAITING, ("claimed", "escalated", "withdrawn")),
    "claimed": _FROM_HANDLING,
    "needs_info": ("claimed", *_FROM_HANDLING),  # the member answered the question
    "answered": _FROM_HANDLING,
    **dict.fromkeys(RESOLVED, (*RESOLVED, "closed", "withdrawn")),
}


# Built once: what every move of a report reads and writes (building a statement costs more than running it).
_ITEM = bindparam("item")
_BY_ID = select(items).where(items.c.id == _ITEM)
_BY_IDS = select(items).where(items.c.id.in_(bindparam("ids", expanding=True)))
_TAGS_OF = select(tags).join(item_tags, item_tags.c.tag_code == tags.c.code).where(
    item_tags.c.item_id == _ITEM).order_by(tags.c.position)
_FILES = select(attachments).where(attachments.c.item_id == _ITEM).order_by(attachments.c.position)
_ADD_EVENT = item_events.insert()
_EVENTS = select(item_events).where(item_events.c.item_id == _ITEM).order_by(item_events.c.id)
_PLACEMENT = select(item_targets).where(item_targets.c.item_id == _ITEM,
                                        item_targets.c.target_id == bindparam("target"),
                                        item_targets.c.active.is_(True))


def may_move(status_from: str, status_to: str) -> bool:
    return status_to in MOVES.get(status_from, ())


async def next_code(conn: AsyncConnection, year: int) -> str:
    name = f"item-code-{year}"
    current = (await conn.execute(select(counters.c.value).where(counters.c.name == name))).scalar()
    if current is None:
        current = 0
        await conn.execute(counters.insert().values(name=name, value=0))
    await conn.execute(update(counters).where(counters.c.name == name).values(value=current + 1))
    return f"SQ-{year}-{current + 1:05d}"


async def create(conn: AsyncConnection, *, files: list[dict], **values) -> int:
    item_id = (await conn.execute(items.insert().values(**values))).inserted_primary_key[0]
    for position, file in enumerate(files):
        await conn.execute(attachments.insert().values(item_id=item_id, position=position, **file))
    return item_id


async def set_tags(conn: AsyncConnection, item_id: int, codes: list[str]) -> None:
    """The item's tags become ``codes`` (a member's topic edit may change them)."""
    await conn.execute(item_tags.delete().where(item_tags.c.item_id == item_id))
    for code in dict.fromkeys(codes):
        await conn.execute(item_tags.insert().values(item_id=item_id, tag_code=code))


async def tags_of(conn: AsyncConnection, item_id: int) -> list:
    """The item's tag rows, in the tags' order."""
    return list(await conn.execute(_TAGS_OF, {"item": item_id}))


async def by_id(conn: AsyncConnection, item_id: int):
    return (await conn.execute(_BY_ID, {"item": item_id})).first()


async def by_ids(conn: AsyncConnection, item_ids: list[int]) -> list:
    """The items that exist of ``item_ids``, in that order."""
    found = {row.id: row for row in await conn.execute(_BY_IDS, {"ids": item_ids})} if item_ids else {}
    return [found[item_id] for item_id in item_ids if item_id in found]


async def by_code(conn: AsyncConnection, code: str):
    return (await conn.execute(select(items).where(items.c.code == code.upper()))).first()


async def of_author(conn: AsyncConnection, author_id: int, limit: int | None = 20) -> list:
    return list(await conn.execute(select(items).where(items.c.author_id == author_id)
                                   .order_by(items.c.id.desc()).limit(limit)))


MAX_SEARCH_WORDS = 5


async def search(conn: AsyncConnection, words: list[str], *, target_ids: set[int] | None = None,
                 status: str | None = None, district: str | None = None, limit: int = 10) -> list:
    """Items whose code, title or texts contain every word (case-insensitive; ``%`` and ``_`` in
    a word are matched as themselves), newest first, at most ``limit``. ``target_ids``: only
    items that are or were routed to one of those targets (a liaison's view); None: all."""
    fields = (items.c.code, items.c.title, items.c.observation, items.c.analysis, items.c.suggestion)
    query = select(items).where(and_(*(or_(*(f.icontains(word, autoescape=True) for f in fields))
                                       for word in words[:MAX_SEARCH_WORDS])))
    if target_ids is not None:
        query = query.where(items.c.id.in_(select(item_targets.c.item_id)
                                           .where(item_targets.c.target_id.in_(target_ids))))
    if status is not None:
        query = query.where(items.c.status == status)
    if district is not None:
        query = query.where(items.c.district_code == district)
    return list(await conn.execute(query.order_by(items.c.id.desc()).limit(limit)))


async def submitted_between(conn: AsyncConnection, start: datetime, end: datetime,
                            district: str | None = None) -> list:
    """Items submitted in [start, end), oldest first; optionally of one district only."""
    query = select(items).where(items.c.created_at >= start, items.c.created_at < end)
    if district is not None:
        query = query.where(items.c.district_code == district)
    return list(await conn.execute(query.order_by(items.c.id)))


async def change(conn: AsyncConnection, item_id: int, now: datetime, **values) -> None:
    await conn.execute(update(items).where(items.c.id == item_id).values(updated_at=now, **values))


async def files(conn: AsyncConnection, item_id: int) -> list:
    return list(await conn.execute(_FILES, {"item": item_id}))


async def add_file(conn: AsyncConnection, item_id: int, file: dict) -> int:
    """One more attachment, after the others; returns its id."""
    last = (await conn.execute(select(func.max(attachments.c.position))
                               .where(attachments.c.item_id == item_id))).scalar()
    return (await conn.execute(attachments.insert().values(
        item_id=item_id, position=0 if last is None else last + 1, **file))).inserted_primary_key[0]


async def remove_files(conn: AsyncConnection, item_id: int, *, file_id: int | None = None,
                       field: str | None = None) -> list:
    """Remove one attachment of the item (by id) or the voice message standing for a field;
    returns the rows removed."""
    query = select(attachments).where(attachments.c.item_id == item_id)
    query = query.where(attachments.c.id == file_id) if file_id is not None else \
        query.where(attachments.c.field == field)
    rows = list(await conn.execute(query))
    if rows:
        await conn.execute(delete(attachments).where(attachments.c.id.in_([r.id for r in rows])))
    return rows


async def lock_in_state(conn: AsyncConnection, item_id: int, states: tuple[str, ...]):
    """The item if it is in one of ``states``, locked for the rest of the transaction (PostgreSQL;
    SQLite's writes are serialised anyway): a concurrent claim waits, or has already won and
    then the answer is None."""
    return (await conn.execute(select(items).where(items.c.id == item_id, items.c.status.in_(states))
                               .with_for_update())).first()


async def add_event(conn: AsyncConnection, item_id: int, kind: str, now: datetime, *,
                    actor_id: int | None = None, status_from: str | None = None,
                    status_to: str | None = None, target_id: int | None = None,
                    to_target_id: int | None = None, reason: str | None = None,
                    body: str | None = None) -> None:
    await conn.execute(_ADD_EVENT, dict(
        item_id=item_id, kind=kind, actor_id=actor_id, status_from=status_from, status_to=status_to,
        target_id=target_id, to_target_id=to_target_id, reason=reason, body=body, created_at=now))


async def events(conn: AsyncConnection, item_id: int) -> list:
    return list(await conn.execute(_EVENTS, {"item": item_id}))


# A placement's role: HANDLE where the item is handled, WATCH where it is shown for information
# (知悉). Only HANDLE placements are "where it is": the receipt, deadlines, queues, exports.
HANDLE, WATCH = "handle", "watch"


async def place(conn: AsyncConnection, item_id: int, target_id: int, now: datetime, role: str = HANDLE) -> str:
    """Route the item to a target; returns the outbox key of the card there."""
    previous = (await conn.execute(select(item_targets.c.id).where(
        item_targets.c.item_id == item_id, item_targets.c.target_id == target_id))).all()
    card_key = f"card:{item_id}:{target_id}:{len(previous) + 1}"
    await conn.execute(item_targets.insert().values(item_id=item_id, target_id=target_id, active=True,
                                                    role=role, card_key=card_key, routed_at=now))
    return card_key


async def placements(conn: AsyncConnection, item_id: int, active_only: bool = True,
                     role: str | None = HANDLE) -> list:
    """Where the item is handled (``role=WATCH``: where it is watched; None: every card)."""
    return list(await conn.execute(_placements_query(active_only, role), {"item": item_id}))


@cache  # one statement per (active_only, role), built the first time it is asked for
def _placements_query(active_only: bool, role: str | None):
    query = select(item_targets).where(item_targets.c.item_id == _ITEM)
    if active_only:
        query = query.where(item_targets.c.active.is_(True))
    if role is not None:
        query = query.where(item_targets.c.role == role)
    return query.order_by(item_targets.c.id)


async def handle_here(conn: AsyncConnection, placement_id: int) -> None:
    """A watching place takes the item over: the same card becomes a handling card."""
    await conn.execute(update(item_targets).where(item_targets.c.id == placement_id).values(role=HANDLE))


async def watch_here(conn: AsyncConnection, item_id: int, target_id: int) -> None:
    """The place that handled the item keeps its card, for information (知悉): the city group
    that delegated the item to a district."""
    latest = select(func.max(item_targets.c.id)).where(item_targets.c.item_id == item_id,
                                                      item_targets.c.target_id == target_id).scalar_subquery()
    await conn.execute(update(item_targets).where(item_targets.c.id == latest).values(role=WATCH, active=True))


async def placement(conn: AsyncConnection, item_id: int, target_id: int):
    """The item's active placement at a target (handling or watching), if it is there now."""
    return (await conn.execute(_PLACEMENT, {"item": item_id, "target": target_id})).first()


async def placement_of_card(conn: AsyncConnection, card_key: str):
    return (await conn.execute(select(item_targets).where(item_targets.c.card_key == card_key))).first()


async def leave(conn: AsyncConnection, item_id: int, target_ids: list[int] | None = None,
                role: str | None = None) -> None:
    """The item is no longer at these targets (None: anywhere), in this role (None: any)."""
    query = update(item_targets).where(item_targets.c.item_id == item_id)
    if target_ids is not None:
        query = query.where(item_targets.c.target_id.in_(target_ids))
    if role is not None:
        query = query.where(item_targets.c.role == role)
    await conn.execute(query.values(active=False))
