"""Bind keys: the office names a target (a topic, district, street, sector, office or person
group, or a module's room: a deliberation's forum topic, a meeting's group) and gets a one-time
key; an administrator of the group sends ``/bind KEY`` there (groups.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from handlers.office.lookups import (LEVELS, Reference, check_district_within, check_target_within, clean,
                                     find_member, find_target, optional, resolve_codes)
from storage import audit
from storage import targets as target_store

KINDS = ("topic", "district", "street", "sector", "office", "person", "room")
TARGET_NAME_LIMIT = 64


def default_titles(kind: str, row=None) -> tuple[str, str]:
    """The titles a new target gets from its reference row (topic, district, street, member)."""
    if kind == "office":
        return "市政协委员学习和联络室", "City office intake"
    if kind == "topic":
        return f"市政协·{row.name_zh}主题议政群", f"City CPPCC · {row.name_en} topic group"
    if kind == "district":
        return f"{row.name_zh}政协委员联络中心", f"{row.name_en} liaison port"
    if kind == "street":
        return f"{row.name_zh}委员联络中心", f"{row.name_en} member liaison centre"
    if kind == "sector":
        return f"市政协·{row.name_zh}委员群", f"City CPPCC · {row.name_en} sector group"
    if kind == "room":
        return row, row  # the target's name: a module gives its room proper titles
    return row.name, row.name  # person


async def make_bind_key(conn, name: str, kind: str, now, *, hours: int, level: str | None = None,
                        topic: str | None = None, district: str | None = None, street: str | None = None,
                        sector: str | None = None, title_zh: str | None = None, title_en: str | None = None,
                        within: str | None = None, actor: str = "cli") -> str:
    """Create or update the target NAME and return a one-time key for ``/bind KEY``.

    Codes may be left out when the name follows the convention ``topic:<code>``,
    ``district:<code>``, ``street:<code>``, ``sector:<code>`` or ``person:<roster id>``. The level
    defaults to city for topic, sector and office targets, district for district and street
    targets, the member's level for a person; the titles default from the reference data. An existing target keeps its
    binding until the key is used elsewhere."""
    name = clean(name)
    if not name:
        raise AdminError("a target needs a name, e.g. topic:smart_parking or district:hongqiao")
    if len(name) > TARGET_NAME_LIMIT:
        raise AdminError("a target name has at most {target_name_limit} characters",
                         target_name_limit=TARGET_NAME_LIMIT)
    if kind not in KINDS:
        raise AdminError("kind '{kind}' is not valid: use {kinds}", kind=kind, kinds=", ".join(KINDS))
    if hours <= 0:
        raise AdminError("a bind key must be valid for at least one hour")
    if level is not None and level not in LEVELS:
        raise AdminError("level '{level}' is not valid: use city or district", level=level)
    existing = await target_store.by_name(conn, name)
    if existing is not None and existing.kind != kind:
        raise AdminError("target '{name}' exists with kind '{kind}', not '{wanted}'",
                         name=name, kind=existing.kind, wanted=kind)
    prefix, _, suffix = name.partition(":")
    from_name = suffix if prefix == kind and suffix else None

    ref = await Reference.load(conn)
    topic = optional(topic) or (from_name if kind == "topic" else None) or (existing.topic_code if existing else None)
    street = optional(street) or (from_name if kind == "street" else None) or (existing.street_code if existing else None)
    district = (optional(district) or (from_name if kind == "district" else None)
                or (existing.district_code if existing else None))
    sector = (optional(sector) or (from_name if kind == "sector" else None)
              or (existing.sector_code if existing else None))
    codes = await resolve_codes(ref, topic=topic, district=district, street=street, sector=sector)
    if codes["sector"] and kind != "sector":
        raise AdminError("a {kind} target takes no sector", kind=kind)
    member = None
    if kind == "topic":
        if not codes["topic"]:
            raise AdminError("a topic target needs a topic (--topic CODE or the name topic:CODE)")
        if codes["street"]:
            raise AdminError("a topic target takes no street")
        source = ref.row("topic", codes["topic"])
        default_level = "district" if codes["district"] else "city"
    elif kind == "district":
        if not codes["district"]:
            raise AdminError("a district target needs a district (--district CODE or the name district:CODE)")
        if codes["topic"] or optional(street):
            raise AdminError("a district target takes no topic and no street")
        source, default_level = ref.row("district", codes["district"]), "district"
    elif kind == "street":
        if not codes["street"]:
            raise AdminError("a street target needs a street (--street CODE or the name street:CODE)")
        if codes["topic"]:
            raise AdminError("a street target takes no topic")
        source, default_level = ref.row("street", codes["street"]), "district"
    elif kind == "sector":
        if not codes["sector"]:
            raise AdminError("a sector target needs a sector (--sector CODE or the name sector:CODE)")
        if codes["topic"] or codes["district"]:
            raise AdminError("a sector target takes no topic, district or street")
        source, default_level = ref.row("sector", codes["sector"]), "city"
    elif kind == "office":
        if any(codes.values()):
            raise AdminError("an office target takes no topic, district or street")
        source, default_level = None, "city"
    elif kind == "room":  # the module that owns it (deliberation:7, consultation:3) names it
        if any(codes.values()):
            raise AdminError("a room target takes no topic, district or street")
        source, default_level = name, "city"
    else:  # person
        if any(codes.values()):
            raise AdminError("a person target takes no topic, district or street")
        if prefix != "person" or not suffix:
            raise AdminError("a person target is named person:ROSTER_ID")
        member = await find_member(conn, suffix)
        source, default_level = member, member.level
    check_district_within(codes["district"], within, N_("the target must be in your district ({within})"))
    default_zh, default_en = default_titles(kind, source)
    values = {
        "name": name, "kind": kind, "level": level or (existing.level if existing else default_level),
        "topic_code": codes["topic"], "district_code": codes["district"], "street_code": codes["street"],
        "sector_code": codes["sector"], "member_id": member.id if member else None,
        "title_zh": optional(title_zh) or (existing.title_zh if existing else default_zh),
        "title_en": optional(title_en) or (existing.title_en if existing else default_en),
    }
    target_id = await target_store.upsert(conn, **values)
    key = await target_store.create_bind_key(conn, target_id, now, hours)
    await audit.record(conn, actor, "bind_key.create",
                       {"target": name, "kind": kind, "hours": hours, "new_target": existing is None}, now)
    return key


# --- the keys issued: list, revoke --------------------------------------------------------------

KEY_ID_LENGTH = 8  # the first hex digits of the key's hash: names a key without revealing it
KEY_STATES = ("open", "used", "revoked", "expired")


@dataclass
class KeyView:
    id: str
    target: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    state: str  # open | used | revoked | expired

    def __str__(self) -> str:
        return f"{self.id} {self.target}: {self.state} (made {self.created_at:%Y-%m-%d %H:%M} UTC, " \
               f"valid until {self.expires_at:%Y-%m-%d %H:%M} UTC)"


def _view(row, now) -> KeyView:
    state = "used" if row.used_at else "revoked" if row.revoked_at else "expired" if row.expires_at <= now else "open"
    return KeyView(row.key_hash[:KEY_ID_LENGTH], row.target_name, row.created_at, row.expires_at, row.used_at,
                   row.revoked_at, state)


async def list_keys(conn, now, *, target: str | None = None, state: str | None = None,
                    within: str | None = None) -> list[KeyView]:
    """The bind keys issued (newest first), each named by its id — never the key itself."""
    if state is not None and state not in KEY_STATES:
        raise AdminError("state '{state}' is not valid: use {key_states}",
                         state=state, key_states=", ".join(KEY_STATES))
    target_id = None
    if optional(target):
        found = await find_target(conn, target)
        check_target_within(found, within)
        target_id = found.id
    views = [_view(r, now) for r in await target_store.keys(conn, target_id)
             if within is None or r.district_code == within]
    return [v for v in views if state is None or v.state == state]


async def revoke_bind_key(conn, key_ref: str, now, *, within: str | None = None, actor: str = "cli") -> KeyView:
    """Withdraw an unused key before anyone sends it: KEY_REF is its id from the list (at least
    6 hex digits) or the key itself (``/bind KEY`` as it was printed works too)."""
    ref = clean(key_ref).removeprefix("/bind").strip()
    if not ref:
        raise AdminError("name the key: its id from `linkage group keys`, or the key itself")
    found = await target_store.keys_with_prefix(conn, ref) if len(ref) >= 6 else []
    if len(found) > 1:
        raise AdminError("more than one key starts with '{ref}': give more of its id", ref=ref)
    if not found:
        raise AdminError("no bind key '{ref}' (see `linkage group keys`)", ref=ref)
    row = found[0]
    target = await target_store.by_id(conn, row.target_id)
    check_target_within(target, within)
    view = _view(next(r for r in await target_store.keys(conn, row.target_id) if r.key_hash == row.key_hash), now)
    if view.state != "open":
        raise AdminError("key {id} of {name} cannot be revoked: it is {state} already",
                         id=view.id, name=target.name, state=view.state)
    if not await target_store.revoke_key(conn, row.key_hash, now):
        raise AdminError("key {id} of {name} was used meanwhile", id=view.id, name=target.name)
    await audit.record(conn, actor, "bind_key.revoke", {"key": view.id, "target": target.name}, now)
    view.state, view.revoked_at = "revoked", now
    return view
