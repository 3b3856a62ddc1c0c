"""Routing rules: listing, adding and deleting the ordered rules that send an item to its
targets, and a dry run of where an item would go now."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.core.errors import AdminError
from handlers.office.lookups import Reference, clean, find_target, optional, resolve_codes
from handlers.reports.lifecycle import RouteTrace, resolve_route
from storage import audit
from storage import targets as target_store

AREAS = ("city", "district", "street")


@dataclass
class RuleView:
    """A routing rule as the office reads it."""
    id: int
    position: int
    area: str | None
    topic: str | None
    district: str | None
    street: str | None
    sector: str | None
    tag: str | None
    stop: bool
    watch: bool
    note: str | None
    targets: list[str]
    unbound: list[str]

    def conditions(self) -> str:
        parts = [f"{k}={v}" for k, v in (("area", self.area), ("topic", self.topic), ("district", self.district),
                                          ("street", self.street), ("sector", self.sector),
                                          ("tag", self.tag)) if v]
        return " ".join(parts) or "any item"

    def __str__(self) -> str:
        names = ", ".join(n + (" (unbound)" if n in self.unbound else "") for n in self.targets)
        text = f"#{self.id} pos {self.position}: {self.conditions()} → {names or 'nothing'}"
        text += " [stop]" if self.stop else " [continue]"
        text += " [watch]" if self.watch else " [no watch]"
        return text + (f" — {self.note}" if self.note else "")


async def list_rules(conn) -> list[RuleView]:
    names = {r.id: r for r in await target_store.names(conn)}
    return [RuleView(rule.id, rule.position, rule.area, rule.topic_code, rule.district_code, rule.street_code,
                     rule.sector_code, rule.tag_code, rule.stop, rule.watch, rule.note,
                     [names[t].name for t in rule.target_ids],
                     [names[t].name for t in rule.target_ids if names[t].chat_id is None])
            for rule in await target_store.rules(conn)]


async def add_rule(conn, target_names: list[str], now, *, area: str | None = None,
                   topic: str | None = None, district: str | None = None, street: str | None = None,
                   sector: str | None = None, tag: str | None = None, stop: bool = True, watch: bool = True,
                   position: int | None = None, note: str | None = None, actor: str = "cli") -> int:
    """Add a rule sending matching items to the named targets; returns its id. Without a
    position it goes last (the highest position + 10). ``watch``: the district and street items
    it sends somewhere are also shown to the city topic group of their topic (知悉)."""
    names = list(dict.fromkeys(clean(n) for n in target_names if clean(n)))
    if not names:
        raise AdminError("a rule needs at least one target")
    target_rows = [await find_target(conn, n) for n in names]
    area = optional(area)
    if area is not None and area not in AREAS:
        raise AdminError(f"area '{area}' is not valid: use city, district or street")
    codes = await resolve_codes(await Reference.load(conn), topic=topic, district=district,
                                street=street, sector=sector, tag=tag)
    if area == "city" and (codes["district"] or codes["street"]):
        raise AdminError("a city-wide item has no district or street: this rule could never match")
    if area == "district" and codes["street"]:
        raise AdminError("a district-level item has no street: this rule could never match")
    note = optional(note)
    if note and len(note) > 200:
        raise AdminError("a rule note has at most 200 characters")
    rule_id = await target_store.add_rule(
        conn, [t.id for t in target_rows], position=position, area=area, topic_code=codes["topic"],
        district_code=codes["district"], street_code=codes["street"], sector_code=codes["sector"],
        tag_code=codes["tag"], stop=bool(stop), watch=bool(watch), note=note)
    rule = next(r for r in await target_store.rules(conn) if r.id == rule_id)
    await audit.record(conn, actor, "rule.add", _rule_detail(rule, names), now)
    return rule_id


def _rule_detail(rule, target_names: list[str]) -> dict:
    return {"rule_id": rule.id, "position": rule.position, "area": rule.area, "topic": rule.topic_code,
            "district": rule.district_code, "street": rule.street_code, "sector": rule.sector_code,
            "tag": rule.tag_code, "stop": rule.stop, "watch": rule.watch, "targets": target_names, "note": rule.note}


async def _existing(conn, rule_id: int):
    rule = next((r for r in await target_store.rules(conn) if r.id == rule_id), None)
    if rule is None:
        raise AdminError(f"there is no rule #{rule_id} (see `linkage route list`)")
    return rule, [(await target_store.by_id(conn, t)).name for t in rule.target_ids]


async def set_watch(conn, rule_id: int, watch: bool, now, *, actor: str = "cli") -> None:
    """Turn the city topic group's watch (知悉) on or off for one rule."""
    rule, names = await _existing(conn, rule_id)
    await target_store.set_watch(conn, rule_id, watch)
    rule.watch = watch
    await audit.record(conn, actor, "rule.watch", _rule_detail(rule, names), now)


async def delete_rule(conn, rule_id: int, now, *, actor: str = "cli") -> None:
    rule, names = await _existing(conn, rule_id)
    await target_store.delete_rule(conn, rule_id)
    await audit.record(conn, actor, "rule.delete", _rule_detail(rule, names), now)


async def route_test(conn, topic: str, *, district: str | None = None, street: str | None = None,
                     sector: str | None = None, tags: list[str] = (), as_if_bound: bool = False) -> RouteTrace:
    """Dry run: where would an item with this topic and place go now (``as_if_bound``: once every
    target's group is bound)? The area is the street when a street is given, the district when a
    district is given, else the whole city."""
    if not optional(topic):
        raise AdminError("a route test needs a topic")
    ref = await Reference.load(conn)
    codes = await resolve_codes(ref, topic=topic, district=district, street=street, sector=sector)
    tag_codes = tuple([(await resolve_codes(ref, tag=tag))["tag"] for tag in tags])
    area = "street" if codes["street"] else "district" if codes["district"] else "city"
    return await resolve_route(conn, area=area, topic=codes["topic"], district=codes["district"],
                               street=codes["street"], sector=codes["sector"], tags=tag_codes,
                               as_if_bound=as_if_bound)
