"""The inbox: every update is committed here before Telegram is told it was received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, and_, bindparam, cast, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.dialect import built_once, first_of
from storage.schema import inbox

MAX_ATTEMPTS = 3


STORE = built_once(lambda insert: insert(inbox).on_conflict_do_nothing().returning(inbox.c.update_id))  # new ones


async def store(db: Database, updates: list[dict], now: datetime) -> int:
    """Commit raw updates; re-delivered update_ids are dropped. Returns how many were new.
    The commit is durable (survives a power cut): Telegram is told next that they arrived."""
    if not updates:
        return 0
    async with db.transaction(durable=True) as conn:
        stored = await conn.execute(
            STORE(conn),
            [{"update_id": u["update_id"], "payload": u, "received_at": now, "status": "new",
              "attempts": 0} for u in updates],
        )
        return len(stored.all())


# Who sent an update, read inside the database: as text, since a malformed payload's "id" may be
# anything (a cast could fail the query, and with it every batch after).
SENDER_PATHS = [(kind, "from", "id") for kind in ("message", "edited_message", "callback_query", "my_chat_member")]


SENDER_LOCKS = 0x4C4B  # the first key of the per-sender advisory locks (the second: the sender's hash)


def _sender(table):
    payload = table.c.payload
    return func.coalesce(*(payload[path].as_string() for path in SENDER_PATHS), cast(table.c.update_id, String))


async def take_turn(conn: AsyncConnection, update_id: int) -> bool:
    """Several workers on one PostgreSQL drain one inbox: may this transaction handle the update
    now? Yes when no other worker is handling one of the same sender's (a transaction-scoped
    advisory lock on the sender, tried, not waited for) and none of the sender's earlier updates
    is still waiting — a later one never overtakes it, whichever worker reads it first. False:
    leave it; it comes round again in a later batch. On SQLite one process drains in order: yes."""
    if conn.dialect.name == "sqlite":
        return True
    this = inbox.alias("this")
    sender = select(_sender(this)).where(this.c.update_id == update_id).scalar_subquery()
    if not (await conn.execute(select(func.pg_try_advisory_xact_lock(SENDER_LOCKS, func.hashtext(sender))))).scalar():
        return False
    earlier = inbox.alias("earlier")
    waiting = exists().where(and_(earlier.c.status == "new", earlier.c.update_id < update_id,
                                  _sender(earlier) == sender))
    return not (await conn.execute(select(waiting))).scalar()


def _next_batch_query():
    """Built once: the statement's construction and cache key cost more than running it."""
    waiting = select(inbox.c.update_id, inbox.c.payload, inbox.c.attempts, inbox.c.received_at,
                     func.row_number().over(partition_by=_sender(inbox), order_by=inbox.c.update_id).label("round")) \
        .where(inbox.c.status == "new").subquery()
    return (select(waiting.c.update_id, waiting.c.payload, waiting.c.attempts, waiting.c.received_at)
            .order_by(waiting.c["round"], waiting.c.update_id).limit(bindparam("limit")))


NEXT_BATCH = _next_batch_query()


async def next_batch(conn: AsyncConnection, limit: int = 50) -> list:
    """The next updates to handle, fair across senders: everybody's oldest waiting update first,
    then everybody's second, and so on, in update_id order within each round. One sender's
    flood of thousands therefore never holds back another person's update by more than a round,
    and each sender's own updates keep their order (a conversation's steps, a retried update
    before the ones after it). An update with no sender is a sender of its own."""
    return list(await conn.execute(NEXT_BATCH, {"limit": limit}))


async def any_waiting(conn: AsyncConnection) -> bool:
    """Is any update waiting to be handled?"""
    return (await conn.execute(select(inbox.c.update_id).where(inbox.c.status == "new").limit(1))).first() is not None


CLAIM = (update(inbox).where(inbox.c.update_id == bindparam("update"), inbox.c.status == "new")
         .values(status="done", handled_at=bindparam("at")))  # built once: every update


async def claim(conn: AsyncConnection, update_id: int, now: datetime) -> bool:
    """Mark a new update done inside the transaction that handles it; False if another drain
    already did (the row lock makes a concurrent claim wait, then find it done)."""
    return (await conn.execute(CLAIM, {"update": update_id, "at": now})).rowcount == 1


async def mark_attempt_failed(conn: AsyncConnection, update_id: int, error: str, now: datetime, *,
                              park: bool = False) -> bool:
    """Count a failed attempt; after MAX_ATTEMPTS (or at once with ``park``) the update is parked
    as failed. True if parked."""
    attempts = (await conn.execute(select(inbox.c.attempts).where(inbox.c.update_id == update_id))).scalar_one()
    parked = park or attempts + 1 >= MAX_ATTEMPTS
    await conn.execute(update(inbox).where(inbox.c.update_id == update_id).values(
        attempts=attempts + 1, error=error[:2000],
        status="failed" if parked else "new", handled_at=now if parked else None))
    return parked


async def purge_handled(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Delete at most ``limit`` raw updates handled before ``before``; parked (failed) ones stay
    for the office."""
    result = await conn.execute(delete(inbox).where(first_of(
        inbox.c.update_id, limit, inbox.c.status == "done", inbox.c.handled_at < before)))
    return result.rowcount
