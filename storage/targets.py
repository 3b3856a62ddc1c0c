"""Targets (groups, forum topics, persons that receive items), their one-time bind keys,
their liaisons, and the ordered routing rules."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import cache
from storage.schema import (bind_keys, members, routing_rules, rule_targets, target_liaisons,
                            targets)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def _all(conn: AsyncConnection) -> tuple:
    """Every target in id order, from the per-process cache (storage/cache.py): every change of
    targets and rules below goes with ``cache.changed``."""
    async def load(conn: AsyncConnection) -> tuple:
        return tuple(await conn.execute(select(targets).order_by(targets.c.id)))
    return await cache.cached(conn, "targets", load)


async def by_id(conn: AsyncConnection, target_id: int):
    return next((t for t in await _all(conn) if t.id == target_id), None)


async def by_name(conn: AsyncConnection, name: str):
    return next((t for t in await _all(conn) if t.name == name), None)


async def names(conn: AsyncConnection) -> list:
    """Every target (its id, name and chat: None while unbound)."""
    return list(await _all(conn))


async def listed(conn: AsyncConnection, *, district: str | None = None) -> list:
    """Every target (of a district), by kind and name."""
    return sorted((t for t in await _all(conn) if district is None or t.district_code == district),
                  key=lambda t: (t.kind, t.name))


async def by_chat(conn: AsyncConnection, chat_id: int, thread_id: int | None):
    """The target bound to this chat (and forum topic); a topic falls back to the whole group."""
    rows = await in_chat(conn, chat_id)
    exact = [r for r in rows if r.thread_id == thread_id]
    if exact:
        return exact[0]
    return next((r for r in rows if r.thread_id is None), None)


async def in_chat(conn: AsyncConnection, chat_id: int) -> list:
    return [t for t in await _all(conn) if t.chat_id == chat_id]


async def office(conn: AsyncConnection):
    return next((t for t in await _all(conn) if t.kind == "office"), None)


async def of_kind(conn: AsyncConnection, kind: str, *, topic: str | None = None,
                  district: str | None = None, level: str | None = None) -> list:
    return [t for t in await _all(conn) if t.kind == kind and (not topic or t.topic_code == topic)
            and (not district or t.district_code == district) and (not level or t.level == level)]


async def bound_peers(conn: AsyncConnection, level: str, exclude_id: int) -> list:
    """Bound targets of one level: where an item may be forwarded."""
    return sorted((t for t in await _all(conn) if t.level == level and t.chat_id is not None and t.id != exclude_id),
                  key=lambda t: (t.kind, t.id))


async def upsert(conn: AsyncConnection, **values) -> int:
    existing = await by_name(conn, values["name"])
    await cache.changed(conn)
    if existing:
        await conn.execute(update(targets).where(targets.c.id == existing.id).values(
            **{k: v for k, v in values.items() if k not in ("chat_id", "thread_id", "bound_at")}))
        return existing.id
    result = await conn.execute(targets.insert().values(**values))
    return result.inserted_primary_key[0]


async def create_bind_key(conn: AsyncConnection, target_id: int, now: datetime, hours: int) -> str:
    key = secrets.token_urlsafe(9)
    await conn.execute(bind_keys.insert().values(key_hash=_hash(key), target_id=target_id,
                                                 created_at=now, expires_at=now + timedelta(hours=hours)))
    return key


async def bind_key(conn: AsyncConnection, key: str):
    return (await conn.execute(select(bind_keys).where(bind_keys.c.key_hash == _hash(key)))).first()


async def bind(conn: AsyncConnection, key: str, chat_id: int, thread_id: int | None, now: datetime) -> int | None:
    """Use the key and bind the place to its target; None if the key was used (or expired)
    meanwhile. The check is in the UPDATE itself, so of concurrent /binds exactly one wins."""
    target_id = (await conn.execute(
        update(bind_keys).where(bind_keys.c.key_hash == _hash(key), bind_keys.c.used_at.is_(None),
                                bind_keys.c.revoked_at.is_(None), bind_keys.c.expires_at > now)
        .values(used_at=now).returning(bind_keys.c.target_id))).scalar()
    if target_id is None:
        return None
    await cache.changed(conn)
    # A chat (or topic) serves one target: an older binding of the same place is released.
    await conn.execute(update(targets).where(targets.c.chat_id == chat_id,
                                             _same_thread(thread_id), targets.c.id != target_id)
                       .values(chat_id=None, thread_id=None, bound_at=None))
    await conn.execute(update(targets).where(targets.c.id == target_id)
                       .values(chat_id=chat_id, thread_id=thread_id, bound_at=now))
    return target_id


async def keys(conn: AsyncConnection, target_id: int | None = None) -> list:
    """Bind keys (newest first) with their target's name: the hash, never the key itself."""
    query = select(bind_keys, targets.c.name.label("target_name"), targets.c.district_code) \
        .join(targets, targets.c.id == bind_keys.c.target_id)
    if target_id is not None:
        query = query.where(bind_keys.c.target_id == target_id)
    return list(await conn.execute(query.order_by(bind_keys.c.created_at.desc(), bind_keys.c.key_hash)))


async def keys_with_prefix(conn: AsyncConnection, prefix: str) -> list:
    """The keys whose hash starts with PREFIX (hex), or whose key is PREFIX itself."""
    return list(await conn.execute(select(bind_keys).where(
        (bind_keys.c.key_hash.like(prefix.lower() + "%")) | (bind_keys.c.key_hash == _hash(prefix)))))


async def revoke_key(conn: AsyncConnection, key_hash: str, now: datetime) -> bool:
    """Withdraw an unused key; False when it was used, revoked or had expired already."""
    result = await conn.execute(update(bind_keys).where(
        bind_keys.c.key_hash == key_hash, bind_keys.c.used_at.is_(None), bind_keys.c.revoked_at.is_(None),
        bind_keys.c.expires_at > now).values(revoked_at=now))
    return result.rowcount == 1


def _same_thread(thread_id: int | None):
    return targets.c.thread_id.is_(None) if thread_id is None else targets.c.thread_id == thread_id


async def unbind_chat(conn: AsyncConnection, chat_id: int) -> list:
    """The bot left or was removed from a chat: its targets stop receiving items."""
    lost = await in_chat(conn, chat_id)
    await cache.changed(conn)
    await conn.execute(update(targets).where(targets.c.chat_id == chat_id)
                       .values(chat_id=None, thread_id=None, bound_at=None))
    return lost


async def add_liaison(conn: AsyncConnection, target_id: int, member_id: int) -> bool:
    exists = (await conn.execute(select(target_liaisons).where(
        target_liaisons.c.target_id == target_id, target_liaisons.c.member_id == member_id))).first()
    if exists:
        return False
    await conn.execute(target_liaisons.insert().values(target_id=target_id, member_id=member_id))
    await conn.execute(update(members).where(members.c.id == member_id, members.c.role == "member")
                       .values(role="liaison"))
    return True


async def remove_liaison(conn: AsyncConnection, target_id: int, member_id: int) -> bool:
    """Take the member off the target's liaisons; a liaison of nothing else is a member again."""
    result = await conn.execute(delete(target_liaisons).where(
        target_liaisons.c.target_id == target_id, target_liaisons.c.member_id == member_id))
    if not result.rowcount:
        return False
    others = (await conn.execute(select(func.count()).select_from(target_liaisons).where(
        target_liaisons.c.member_id == member_id))).scalar_one()
    if not others:
        await conn.execute(update(members).where(members.c.id == member_id, members.c.role == "liaison")
                           .values(role="member"))
    return True


async def liaisons(conn: AsyncConnection, target_id: int) -> list:
    return list(await conn.execute(
        select(members).join(target_liaisons, target_liaisons.c.member_id == members.c.id)
        .where(target_liaisons.c.target_id == target_id)))


async def liaison_target_ids(conn: AsyncConnection, member_id: int) -> set[int]:
    """The targets the member is a liaison of."""
    return set((await conn.execute(select(target_liaisons.c.target_id).where(
        target_liaisons.c.member_id == member_id))).scalars())


# --- routing rules -----------------------------------------------------------

@dataclass
class Rule:
    id: int
    position: int
    area: str | None
    topic_code: str | None
    district_code: str | None
    street_code: str | None
    sector_code: str | None
    tag_code: str | None
    stop: bool
    watch: bool  # district and street items it sends somewhere are shown to their city topic group
    note: str | None
    target_ids: list[int] = field(default_factory=list)

    def matches(self, *, area: str, topic: str, district: str | None, street: str | None,
                sector: str | None, tags: tuple[str, ...] = ()) -> bool:
        wanted = ((self.area, area), (self.topic_code, topic), (self.district_code, district),
                  (self.street_code, street), (self.sector_code, sector))
        return all(rule_value is None or rule_value == value for rule_value, value in wanted) and \
            (self.tag_code is None or self.tag_code in tags)


async def rules(conn: AsyncConnection) -> list[Rule]:
    """The routing rules in order, from the per-process cache (storage/cache.py)."""
    return list(await cache.cached(conn, "rules", _load_rules))


async def _load_rules(conn: AsyncConnection) -> tuple[Rule, ...]:
    links: dict[int, list[int]] = {}
    for rule_id, target_id in await conn.execute(select(rule_targets.c.rule_id, rule_targets.c.target_id)
                                                 .order_by(rule_targets.c.target_id)):
        links.setdefault(rule_id, []).append(target_id)
    rows = await conn.execute(select(routing_rules).order_by(routing_rules.c.position, routing_rules.c.id))
    return tuple(Rule(r.id, r.position, r.area, r.topic_code, r.district_code, r.street_code, r.sector_code,
                      r.tag_code, r.stop, r.watch, r.note, links.get(r.id, [])) for r in rows)


async def add_rule(conn: AsyncConnection, target_ids: list[int], *, position: int | None = None,
                   **fields) -> int:
    await cache.changed(conn)
    if position is None:
        position = ((await conn.execute(select(func.max(routing_rules.c.position)))).scalar_one() or 0) + 10
    rule_id = (await conn.execute(routing_rules.insert().values(position=position, **fields))).inserted_primary_key[0]
    for target_id in target_ids:
        await conn.execute(rule_targets.insert().values(rule_id=rule_id, target_id=target_id))
    return rule_id


async def set_watch(conn: AsyncConnection, rule_id: int, watch: bool) -> None:
    await cache.changed(conn)
    await conn.execute(update(routing_rules).where(routing_rules.c.id == rule_id).values(watch=watch))


async def change_rule(conn: AsyncConnection, rule_id: int, target_ids: list[int] | None = None,
                      **fields) -> None:
    """Change a rule's conditions, flags or note, and (when given) replace its targets."""
    await cache.changed(conn)
    if fields:
        await conn.execute(update(routing_rules).where(routing_rules.c.id == rule_id).values(**fields))
    if target_ids is not None:
        await conn.execute(delete(rule_targets).where(rule_targets.c.rule_id == rule_id))
        for target_id in target_ids:
            await conn.execute(rule_targets.insert().values(rule_id=rule_id, target_id=target_id))


async def set_positions(conn: AsyncConnection, positions: dict[int, int]) -> None:
    """Renumber rules: rule id -> position."""
    await cache.changed(conn)
    for rule_id, position in positions.items():
        await conn.execute(update(routing_rules).where(routing_rules.c.id == rule_id).values(position=position))


async def delete_rule(conn: AsyncConnection, rule_id: int) -> bool:
    await cache.changed(conn)
    await conn.execute(delete(rule_targets).where(rule_targets.c.rule_id == rule_id))
    result = await conn.execute(delete(routing_rules).where(routing_rules.c.id == rule_id))
    return bool(result.rowcount)
