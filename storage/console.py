"""The office's web console (bot/console/): one-time sign-in links and sessions. Both are kept
only as SHA-256 hashes of the random token the browser holds, so a copy of the database signs
nobody in; a link is used once, a session ends on sign-out or after the idle timeout."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, audit_log, metadata

console_links = Table(  # one-time sign-in links (/console in chat, `linkage console login-link`)
    "console_links", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

console_sessions = Table(
    "console_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # the cookie's value, hashed
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("csrf", String(64), nullable=False),  # every POST of this session carries it
    Column("created_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),  # the idle timeout counts from here
    Column("ended_at", UTCDateTime),
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def create_link(conn: AsyncConnection, member_id: int, now: datetime, expires_at: datetime) -> str:
    token = new_token()
    await conn.execute(console_links.insert().values(token_hash=token_hash(token), member_id=member_id,
                                                     created_at=now, expires_at=expires_at))
    return token


async def link(conn: AsyncConnection, token: str):
    return (await conn.execute(select(console_links).where(console_links.c.token_hash == token_hash(token)))).first()


async def use_link(conn: AsyncConnection, token: str, now: datetime) -> bool:
    """Mark the link used, if it is still unused and unexpired (one statement: used once, even by two
    browsers at the same moment)."""
    result = await conn.execute(update(console_links).where(
        console_links.c.token_hash == token_hash(token), console_links.c.used_at.is_(None),
        console_links.c.expires_at > now).values(used_at=now))
    return result.rowcount == 1


async def create_session(conn: AsyncConnection, member_id: int, now: datetime) -> tuple[str, str]:
    """A new session: (the cookie's token, the CSRF token)."""
    token, csrf = new_token(), secrets.token_urlsafe(24)
    await conn.execute(console_sessions.insert().values(token_hash=token_hash(token), member_id=member_id,
                                                        csrf=csrf, created_at=now, seen_at=now))
    return token, csrf


async def live_session(conn: AsyncConnection, token: str, idle_since: datetime):
    """The session of this cookie, if it has not ended nor been idle since ``idle_since``."""
    return (await conn.execute(select(console_sessions).where(
        console_sessions.c.token_hash == token_hash(token), console_sessions.c.ended_at.is_(None),
        console_sessions.c.seen_at > idle_since))).first()


async def touch_session(conn: AsyncConnection, token: str, now: datetime) -> None:
    await conn.execute(update(console_sessions).where(console_sessions.c.token_hash == token_hash(token))
                       .values(seen_at=now))


async def end_session(conn: AsyncConnection, token: str, now: datetime) -> None:
    await conn.execute(update(console_sessions).where(console_sessions.c.token_hash == token_hash(token),
                                                      console_sessions.c.ended_at.is_(None)).values(ended_at=now))


# --- the audit log, read (written by storage/audit.py) --------------------------------------------

async def audit_entries(conn: AsyncConnection, *, actor_prefix: str | None = None, action_prefix: str | None = None,
                        since: datetime | None = None, until: datetime | None = None,
                        actors: set[str] | None = None, limit: int = 200) -> list:
    """Audit rows, newest first, filtered by who (an actor's prefix: "console:", "member:12"), what
    (an action's prefix: "liaison.", "console.reveal"), when; ``actors``: only these actors."""
    where = []
    if actor_prefix:
        where.append(audit_log.c.actor.startswith(actor_prefix, autoescape=True))
    if action_prefix:
        where.append(audit_log.c.action.startswith(action_prefix, autoescape=True))
    if since is not None:
        where.append(audit_log.c.created_at >= since)
    if until is not None:
        where.append(audit_log.c.created_at < until)
    if actors is not None:
        where.append(audit_log.c.actor.in_(actors))
    return list(await conn.execute(select(audit_log).where(and_(True, *where))
                                   .order_by(audit_log.c.id.desc()).limit(limit)))


async def audit_count(conn: AsyncConnection) -> int:
    return (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()
