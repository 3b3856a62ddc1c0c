"""Outcome chains (采用 → 报送 → 批示 → 转办 → 反馈): each step recorded on a report, in order,
with its detail; and the office's reply templates per outcome (and topic) that liaisons pick."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.departments import departments
from storage.schema import UTCDateTime, metadata

item_outcomes = Table(
    "item_outcomes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("position", Integer, nullable=False),  # 1, 2, … in the order recorded
    # adopted | reported_up | instructed | transferred | feedback | not_adopted | answered
    Column("kind", String(16), nullable=False),
    Column("body", String(32)),  # reported_up: the body it went to (handlers/reports/chain.py BODIES)
    Column("level", String(16)),  # instructed: the level of the leader's instruction (LEVELS)
    Column("department_id", Integer, ForeignKey("departments.id")),  # transferred to / feedback from
    Column("note", Text),  # what the member was told
    Column("actor_id", Integer, ForeignKey("members.id")),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("item_id", "position", name="uq_item_outcomes_position"),
)

reply_templates = Table(
    "reply_templates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # an outcome kind, or "reply" (a liaison's reply)
    Column("topic_code", String(48), ForeignKey("topics.code")),  # None: for every topic
    Column("text", Text, nullable=False),  # may hold {code}; "" once deleted (the seed does not bring it back)
    Column("updated_at", UTCDateTime, nullable=False),
)

_WITH_NAMES = (select(item_outcomes, departments.c.name_zh.label("department_zh"),
                      departments.c.name_en.label("department_en"))
               .select_from(item_outcomes.outerjoin(departments, departments.c.id == item_outcomes.c.department_id)))


async def add_step(conn: AsyncConnection, item_id: int, kind: str, now: datetime, *, actor_id: int | None,
                   body: str | None = None, level: str | None = None, department_id: int | None = None,
                   note: str | None = None) -> int:
    """Append a step to the item's chain; returns its position."""
    last = (await conn.execute(select(func.max(item_outcomes.c.position))
                               .where(item_outcomes.c.item_id == item_id))).scalar()
    position = (last or 0) + 1
    await conn.execute(item_outcomes.insert().values(
        item_id=item_id, position=position, kind=kind, body=body, level=level, department_id=department_id,
        note=note, actor_id=actor_id, created_at=now))
    return position


async def chain(conn: AsyncConnection, item_id: int) -> list:
    """The item's steps in order, each with its department's names (department_zh, department_en)."""
    return list(await conn.execute(_WITH_NAMES.where(item_outcomes.c.item_id == item_id)
                                   .order_by(item_outcomes.c.position)))


async def chains(conn: AsyncConnection, item_ids: list[int]) -> dict[int, list]:
    """Several items' chains at once (digests, exports)."""
    found: dict[int, list] = defaultdict(list)
    if item_ids:
        for row in await conn.execute(_WITH_NAMES.where(item_outcomes.c.item_id.in_(item_ids))
                                      .order_by(item_outcomes.c.item_id, item_outcomes.c.position)):
            found[row.item_id].append(row)
    return dict(found)


# --- reply templates ----------------------------------------------------------------------------

async def templates_for(conn: AsyncConnection, kind: str, topic_code: str | None) -> list:
    """The templates a liaison may pick for this kind: the topic's own first, then the general one."""
    rows = await conn.execute(select(reply_templates).where(
        reply_templates.c.kind == kind, reply_templates.c.text != "",
        (reply_templates.c.topic_code == topic_code) | reply_templates.c.topic_code.is_(None)))
    return sorted(rows, key=lambda r: (r.topic_code is None, r.id))


async def template(conn: AsyncConnection, template_id: int):
    return (await conn.execute(select(reply_templates).where(reply_templates.c.id == template_id,
                                                             reply_templates.c.text != ""))).first()


async def all_templates(conn: AsyncConnection) -> list:
    return list(await conn.execute(select(reply_templates).where(reply_templates.c.text != "").order_by(
        reply_templates.c.kind, reply_templates.c.topic_code.is_not(None), reply_templates.c.topic_code)))


async def _template_of(conn: AsyncConnection, kind: str, topic_code: str | None):
    topic = reply_templates.c.topic_code.is_(None) if topic_code is None else reply_templates.c.topic_code == topic_code
    return (await conn.execute(select(reply_templates).where(reply_templates.c.kind == kind, topic))).first()


async def set_template(conn: AsyncConnection, kind: str, topic_code: str | None, text: str, now: datetime) -> bool:
    """One template per kind and topic (or for every topic): replaced, or added. True: added."""
    existing = await _template_of(conn, kind, topic_code)
    if existing is not None:
        await conn.execute(update(reply_templates).where(reply_templates.c.id == existing.id)
                           .values(text=text, updated_at=now))
        return False
    await conn.execute(reply_templates.insert().values(kind=kind, topic_code=topic_code, text=text, updated_at=now))
    return True


async def delete_template(conn: AsyncConnection, kind: str, topic_code: str | None, now: datetime) -> bool:
    """No template for this kind and topic any more; the row stays, empty, so that seeding again
    does not bring the seed's text back. False: there was none."""
    existing = await _template_of(conn, kind, topic_code)
    if existing is None or existing.text == "":
        return False
    await conn.execute(update(reply_templates).where(reply_templates.c.id == existing.id)
                       .values(text="", updated_at=now))
    return True


async def add_missing_templates(conn: AsyncConnection, rows: list[dict], now: datetime) -> int:
    """The seed's templates whose kind and topic have none yet; the office's own texts are kept."""
    added = 0
    for row in rows:
        if await _template_of(conn, row["kind"], row.get("topic_code")) is None:
            await set_template(conn, row["kind"], row.get("topic_code"), row["text"], now)
            added += 1
    return added
