"""The office's web console (bot/console/): one-time sign-in links and sessions. Both are kept
only as SHA-256 hashes of the random token the browser holds, so a copy of the database signs
nobody in; a link is used once, a session ends on sign-out or after the idle timeout."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import UTCDateTime, audit_log, item_events, item_targets, items, members, metadata, outbox, targets

MAX_WORDS = 5

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


# --- the dashboard and the reports screen (handlers/console/) -------------------------------------

def _in_district(district: str | None) -> list:
    return [] if district is None else [items.c.district_code == district]


async def claimed_numbers(conn: AsyncConnection, since: datetime, until: datetime, *, by: str = "topic_code",
                          district: str | None = None) -> dict[str | None, int]:
    """How many items were claimed in [since, until) (once each), by topic or district."""
    group = items.c[by]
    rows = await conn.execute(
        select(group, func.count(func.distinct(item_events.c.item_id)))
        .select_from(item_events.join(items, items.c.id == item_events.c.item_id))
        .where(item_events.c.kind == "claimed", item_events.c.created_at >= since, item_events.c.created_at < until,
               items.c.duplicate_of.is_(None), *_in_district(district)).group_by(group))
    return dict(rows.all())


async def items_in(conn: AsyncConnection, statuses: tuple[str, ...], *, district: str | None = None,
                   limit: int = 500) -> list:
    """Items in these states, the longest unchanged first."""
    return list(await conn.execute(select(items).where(items.c.status.in_(statuses), *_in_district(district))
                                   .order_by(items.c.updated_at, items.c.id).limit(limit)))


async def unreachable_members(conn: AsyncConnection, *, district: str | None = None) -> list:
    """Members who joined but blocked the bot (Telegram refuses messages to them)."""
    where = [members.c.telegram_user_id.is_not(None), members.c.reachable.is_(False), members.c.active.is_(True)]
    if district is not None:
        where.append(members.c.district_code == district)
    return list(await conn.execute(select(members).where(*where).order_by(members.c.roster_id)))


async def failed_messages(conn: AsyncConnection, limit: int = 10) -> list:
    """The latest messages the sender gave up on (method, chat, error; never the text)."""
    return list(await conn.execute(
        select(outbox.c.id, outbox.c.method, outbox.c.chat_id, outbox.c.error, outbox.c.created_at)
        .where(outbox.c.status == "failed").order_by(outbox.c.id.desc()).limit(limit)))


async def find_reports(conn: AsyncConnection, *, since: datetime | None = None, until: datetime | None = None,
                       statuses: tuple[str, ...] | None = None, district: str | None = None,
                       street: str | None = None, topic: str | None = None, target_id: int | None = None,
                       words: list[str] | None = None, limit: int = 500) -> list:
    """Items matching every filter given, newest first (``words``: each in the code, title or texts)."""
    where = [*_in_district(district)]
    if since is not None:
        where.append(items.c.created_at >= since)
    if until is not None:
        where.append(items.c.created_at < until)
    if statuses:
        where.append(items.c.status.in_(statuses))
    if street:
        where.append(items.c.street_code == street)
    if topic:
        where.append(items.c.topic_code == topic)
    if target_id is not None:
        where.append(items.c.id.in_(select(item_targets.c.item_id).where(item_targets.c.target_id == target_id)))
    fields = (items.c.code, items.c.title, items.c.observation, items.c.analysis, items.c.suggestion)
    for word in (words or [])[:MAX_WORDS]:
        where.append(or_(*(f.icontains(word, autoescape=True) for f in fields)))
    return list(await conn.execute(select(items).where(and_(True, *where))
                                   .order_by(items.c.id.desc()).limit(limit)))


async def member_ids(conn: AsyncConnection, *, district: str | None = None, committee: str | None = None) -> list[int]:
    """Ids of the members of a district or a committee (the audit entries a scope may read are theirs)."""
    column, value = (members.c.district_code, district) if district else (members.c.committee_code, committee)
    return list((await conn.execute(select(members.c.id).where(column == value))).scalars())


async def targets_in(conn: AsyncConnection, *, district: str | None = None) -> list:
    """Every target (group), or a district's own, in name order."""
    query = select(targets).order_by(targets.c.name)
    if district is not None:
        query = query.where(targets.c.district_code == district)
    return list(await conn.execute(query))
