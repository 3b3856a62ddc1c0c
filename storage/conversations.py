"""Conversation state of a private chat, kept in the database so drafts survive restarts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import dialect_insert
from storage.schema import conversations


@dataclass
class Conversation:
    user_id: int
    flow: str
    step: str
    data: dict = field(default_factory=dict)


async def load(conn: AsyncConnection, user_id: int) -> Conversation | None:
    row = (await conn.execute(select(conversations).where(conversations.c.user_id == user_id))).first()
    return Conversation(row.user_id, row.flow, row.step, dict(row.data)) if row else None


async def save(conn: AsyncConnection, conv: Conversation, now: datetime) -> None:
    values = {"flow": conv.flow, "step": conv.step, "data": conv.data, "updated_at": now}
    await conn.execute(dialect_insert(conn, conversations).values(user_id=conv.user_id, **values)
                       .on_conflict_do_update(index_elements=[conversations.c.user_id], set_=values))


async def clear(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(delete(conversations).where(conversations.c.user_id == user_id))
