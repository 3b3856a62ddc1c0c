"""Conversation state of a private chat, kept in the database so drafts survive restarts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import built_once
from storage.schema import conversations


@dataclass
class Conversation:
    user_id: int
    flow: str
    step: str
    data: dict = field(default_factory=dict)


LOAD = select(conversations).where(conversations.c.user_id == bindparam("user"))  # built once: every update


def _save(insert):
    upsert = insert(conversations)
    return upsert.on_conflict_do_update(index_elements=[conversations.c.user_id], set_={
        name: upsert.excluded[name] for name in ("flow", "step", "data", "updated_at")})


SAVE = built_once(_save)


async def load(conn: AsyncConnection, user_id: int) -> Conversation | None:
    row = (await conn.execute(LOAD, {"user": user_id})).first()
    return Conversation(row.user_id, row.flow, row.step, dict(row.data)) if row else None


async def save(conn: AsyncConnection, conv: Conversation, now: datetime) -> None:
    await conn.execute(SAVE(conn), {"user_id": conv.user_id, "flow": conv.flow, "step": conv.step,
                                    "data": conv.data, "updated_at": now})


async def clear(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(delete(conversations).where(conversations.c.user_id == user_id))
