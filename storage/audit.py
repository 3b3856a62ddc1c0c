"""The append-only audit log of administrative changes (rules, roster, bindings)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import audit_log


async def record(conn: AsyncConnection, actor: str, action: str, detail: dict, now: datetime) -> None:
    await conn.execute(audit_log.insert().values(actor=actor, action=action, detail=detail, created_at=now))
