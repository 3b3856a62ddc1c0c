"""Routing rules: listing, adding and deleting the ordered rules that send an item to its
targets, and a dry run of where an item would go now."""

from __future__ import annotations

from dataclasses import dataclass, replace

from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from handlers.office.lookups import (Reference, check_district_within, check_target_within, clean, find_target,
                                     optional, resolve_codes)
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


async def list_rules(conn, *, within: str | None = None) -> list[RuleView]:
    """The rule table in its order (``within``: only the rules of that district)."""
    names = {r.id: r for r in await target_store.names(conn)}
    return [RuleView(rule.id, rule.position, rule.area, rule.topic_code, rule.district_code, rule.street_code,
                     rule.sector_code, rule.tag_code, rule.stop, rule.watch, rule.note,
                     [names[t].name for t in rule.target_ids],
                     [names[t].name for t in rule.target_ids if names[t].chat_id is None])
            for rule in await target_store.rules(conn) if within is None or rule.district_code == within]


KEEP = object()  # edit_rule: leave this field as it is
RULE_FIELDS = ("area", "topic", "district", "street", "sector", "tag", "stop", "watch", "note", "targets")


async def _checked(conn, target_names, *, area, topic, district, street, sector, tag, note,
                   within: str | None) -> tuple[list, dict]:
    """The targets and the codes of a rule, or a refusal saying why the rule could never match
    (unknown codes, a street outside its district, an area that cannot carry the place)."""
    names = list(dict.fromkeys(clean(n) for n in target_names if clean(n)))
    if not names:
        raise AdminError("a rule needs at least one target", field="targets")
    target_rows = [await find_target(conn, n) for n in names]
    area = optional(area)
    if area is not None and area not in AREAS:
        raise AdminError("area '{area}' is not valid: use city, district or street", field="area", area=area)
    codes = await resolve_codes(await Reference.load(conn), topic=topic, district=district,
                                street=street, sector=sector, tag=tag)
    if area == "city" and (codes["district"] or codes["street"]):
        raise AdminError("a city-wide item has no district or street: this rule could never match", field="area")
    if area == "district" and codes["street"]:
        raise AdminError("a district-level item has no street: this rule could never match", field="area")
    if within is not None:
        check_district_within(codes["district"], within,
                              N_("a rule of yours must be in your district ({within})"))
        for target in target_rows:
            check_target_within(target, within)
    note = optional(note)
    if note and len(note) > 200:
        raise AdminError("a rule note has at most 200 characters", field="note")
    fields = {"area": area, "topic_code": codes["topic"], "district_code": codes["district"],
              "street_code": codes["street"], "sector_code": codes["sector"], "tag_code": codes["tag"],
              "note": note}
    return target_rows, fields


async def add_rule(conn, target_names: list[str], now, *, area: str | None = None,
                   topic: str | None = None, district: str | None = None, street: str | None = None,
                   sector: str | None = None, tag: str | None = None, stop: bool = True, watch: bool = True,
                   position: int | None = None, before: int | None = None, note: str | None = None,
                   within: str | None = None, actor: str = "cli") -> int:
    """Add a rule sending matching items to the named targets; returns its id. Without a
    position it goes last (the highest position + 10); ``before`` (a rule's id) puts it just
    before that rule. ``watch``: the district and street items it sends somewhere are also shown
    to the city topic group of their topic (知悉). A rule that could never match is refused."""
    target_rows, fields = await _checked(conn, target_names, area=area, topic=topic, district=district,
                                         street=street, sector=sector, tag=tag, note=note, within=within)
    if before is not None:
        await _existing(conn, before, within=within)
    rules = await target_store.rules(conn)
    new = target_store.Rule(0, position or 0, stop=bool(stop), watch=bool(watch), **fields)
    if before is not None:
        place = next(i for i, r in enumerate(rules) if r.id == before)
    elif position is not None:  # after the rules of the same position (ties go by id)
        place = next((i for i, r in enumerate(rules) if r.position > position), len(rules))
    else:
        place = len(rules)
    refuse_shadowed([*rules[:place], new, *rules[place:]], new)
    rule_id = await target_store.add_rule(conn, [t.id for t in target_rows], position=position,
                                          stop=bool(stop), watch=bool(watch), **fields)
    if before is not None:
        order = [r.id for r in rules]
        order.insert(place, rule_id)
        await target_store.set_positions(conn, {rid: (i + 1) * 10 for i, rid in enumerate(order)})
    rule = next(r for r in await target_store.rules(conn) if r.id == rule_id)
    await audit.record(conn, actor, "rule.add", _rule_detail(rule, [t.name for t in target_rows]), now)
    return rule_id


async def edit_rule(conn, rule_id: int, now, *, targets=KEEP, area=KEEP, topic=KEEP, district=KEEP,
                    street=KEEP, sector=KEEP, tag=KEEP, stop=KEEP, watch=KEEP, note=KEEP,
                    within: str | None = None, actor: str = "cli") -> RuleView:
    """Change a rule: a field given replaces the old value (None or "" makes a condition "any"),
    a field left out stays; the whole rule is checked again as a new one would be. The audit log
    keeps the rule before and after."""
    rule, names = await _existing(conn, rule_id, within=within)
    old = {"area": rule.area, "topic": rule.topic_code, "district": rule.district_code,
           "street": rule.street_code, "sector": rule.sector_code, "tag": rule.tag_code, "note": rule.note}
    given = {"area": area, "topic": topic, "district": district, "street": street, "sector": sector,
             "tag": tag, "note": note}
    wanted = {k: (old[k] if v is KEEP else v) for k, v in given.items()}
    if street is not KEEP and district is KEEP and optional(street):
        wanted["district"] = None  # a new street brings its own district
    wanted_names = names if targets is KEEP else list(targets)
    target_rows, fields = await _checked(conn, wanted_names, within=within, **wanted)
    fields["stop"] = rule.stop if stop is KEEP else bool(stop)
    fields["watch"] = rule.watch if watch is KEEP else bool(watch)
    changed = replace(rule, **fields)
    refuse_shadowed([changed if r.id == rule_id else r for r in await target_store.rules(conn)], changed)
    await target_store.change_rule(conn, rule_id, [t.id for t in target_rows], **fields)
    after, after_names = await _existing(conn, rule_id)
    await audit.record(conn, actor, "rule.edit", {"before": _rule_detail(rule, names),
                                                  "after": _rule_detail(after, after_names)}, now)
    return next(r for r in await list_rules(conn) if r.id == rule_id)


async def move_rule(conn, rule_id: int, now, *, up: bool = False, down: bool = False, to: int | None = None,
                    within: str | None = None, actor: str = "cli") -> list[RuleView]:
    """Move a rule one place up or down the table, or to place TO (1 = first); the table is
    then renumbered 10, 20, 30 … in its new order. A district office moves its rule among its
    district's rules (the places it sees). Returns the table (as the office sees it)."""
    if sum((bool(up), bool(down), to is not None)) != 1:
        raise AdminError("move a rule either up, down or to a place in the table")
    await _existing(conn, rule_id, within=within)
    rules = await target_store.rules(conn)
    order = [r.id for r in rules]
    seen = [r.id for r in rules if within is None or r.district_code == within]
    place = seen.index(rule_id)
    new_place = place - 1 if up else place + 1 if down else (to or 0) - 1
    if not 0 <= new_place < len(seen):
        if up:
            raise AdminError("rule #{rule_id} is at the top already", rule_id=rule_id)
        if down:
            raise AdminError("rule #{rule_id} is at the bottom already", rule_id=rule_id)
        raise AdminError("rule #{rule_id} cannot move there: the table has places 1 to {places}",
                         rule_id=rule_id, places=len(seen))
    if new_place != place:
        anchor = seen[new_place]  # the rule whose place it takes: it goes before it (up) or after it (down)
        order.remove(rule_id)
        order.insert(order.index(anchor) + (1 if new_place > place else 0), rule_id)
        by_id = {r.id: r for r in rules}
        refuse_shadowed([by_id[rid] for rid in order], by_id[rule_id], field="table")
        await target_store.set_positions(conn, {rid: (i + 1) * 10 for i, rid in enumerate(order)})
    await audit.record(conn, actor, "rule.move", {"rule_id": rule_id, "from": place + 1, "to": new_place + 1}, now)
    return await list_rules(conn, within=within)


CONDITION_COLUMNS = ("area", "topic_code", "district_code", "street_code", "sector_code", "tag_code")


def covers(earlier, later) -> bool:
    """Does rule ``earlier`` match every item ``later`` matches (each of its conditions "any" or the same)?"""
    return all(getattr(earlier, c) is None or getattr(earlier, c) == getattr(later, c) for c in CONDITION_COLUMNS)


def refuse_shadowed(order: list, rule, *, field: str = "position") -> None:
    """Refuse ``rule`` (being added, edited or moved; ``order`` is the table as the change would
    leave it) if it could never match because a stop rule earlier in the table stops the routing of
    every item it matches — or if, a stop rule itself, it leaves a later rule nothing. Shadowing
    is judged as if every target were bound (a stop rule whose targets are unbound stops nothing
    today, but will once they are)."""
    place = next(i for i, r in enumerate(order) if r is rule)
    shadow = next((r for r in order[:place] if r.stop and covers(r, rule)), None)
    if shadow is not None:
        raise AdminError("this rule could never match: rule #{shadow}, earlier in the table, stops the routing "
                         "of every item it matches (put this rule before it)", field=field, shadow=shadow.id)
    hidden = next((r for r in order[place + 1:] if covers(rule, r)), None) if rule.stop else None
    if hidden is not None:
        raise AdminError("rule #{hidden}, later in the table, could never match: this stop rule stops the "
                         "routing of every item it matches", field=field, hidden=hidden.id)


def _rule_detail(rule, target_names: list[str]) -> dict:
    return {"rule_id": rule.id, "position": rule.position, "area": rule.area, "topic": rule.topic_code,
            "district": rule.district_code, "street": rule.street_code, "sector": rule.sector_code,
            "tag": rule.tag_code, "stop": rule.stop, "watch": rule.watch, "targets": target_names, "note": rule.note}


async def _existing(conn, rule_id: int, *, within: str | None = None):
    rule = next((r for r in await target_store.rules(conn) if r.id == rule_id), None)
    if rule is None:
        raise AdminError("there is no rule #{rule_id} (see `linkage route list`)", rule_id=rule_id)
    check_district_within(rule.district_code, within, N_("rule #{rule_id} must be in your district ({within})"),
                          rule_id=rule_id)
    return rule, [(await target_store.by_id(conn, t)).name for t in rule.target_ids]


async def set_watch(conn, rule_id: int, watch: bool, now, *, within: str | None = None,
                    actor: str = "cli") -> None:
    """Turn the city topic group's watch (知悉) on or off for one rule."""
    rule, names = await _existing(conn, rule_id, within=within)
    await target_store.set_watch(conn, rule_id, watch)
    rule.watch = watch
    await audit.record(conn, actor, "rule.watch", _rule_detail(rule, names), now)


async def delete_rule(conn, rule_id: int, now, *, within: str | None = None, actor: str = "cli") -> None:
    rule, names = await _existing(conn, rule_id, within=within)
    await target_store.delete_rule(conn, rule_id)
    await audit.record(conn, actor, "rule.delete", _rule_detail(rule, names), now)


async def route_test(conn, topic: str, *, district: str | None = None, street: str | None = None,
                     sector: str | None = None, tags: list[str] = (), as_if_bound: bool = False) -> RouteTrace:
    """Dry run: where would an item with this topic and place go now (``as_if_bound``: once every
    target's group is bound)? The area is the street when a street is given, the district when a
    district is given, else the whole city."""
    if not optional(topic):
        raise AdminError("a route test needs a topic", field="topic")
    ref = await Reference.load(conn)
    codes = await resolve_codes(ref, topic=topic, district=district, street=street, sector=sector)
    tag_codes = tuple([(await resolve_codes(ref, tag=tag))["tag"] for tag in tags])
    area = "street" if codes["street"] else "district" if codes["district"] else "city"
    return await resolve_route(conn, area=area, topic=codes["topic"], district=codes["district"],
                               street=codes["street"], sector=codes["sector"], tags=tag_codes,
                               as_if_bound=as_if_bound)


@dataclass
class DryRun:
    """A route test both ways: once every target's group is bound (planned), and now."""
    planned: RouteTrace
    now: RouteTrace

    @property
    def differs(self) -> bool:
        return [t.id for t in (*self.now.targets, *self.now.watchers)] != \
            [t.id for t in (*self.planned.targets, *self.planned.watchers)]

    def lines(self) -> list[str]:
        out = [*self.planned.lines, "→ " + places(self.planned)]
        if self.differs:
            out.append("→ now, with the groups bound so far: " + places(self.now))
        return out


def places(trace: RouteTrace) -> str:
    def named(targets) -> str:
        return ", ".join(t.name + (" (not bound)" if t.chat_id is None else "") for t in targets)
    text = named(trace.targets) or "nowhere yet (the item would wait)"
    return text + (f"; watch (知悉): {named(trace.watchers)}" if trace.watchers else "")


async def dry_run(conn, topic: str, *, district: str | None = None, street: str | None = None,
                  sector: str | None = None, tags: list[str] = (), within: str | None = None) -> DryRun:
    """`linkage route test` and the console's dry run: where an item would go once the groups
    are bound, and now. A district office tries its own district's items."""
    if within is not None:
        codes = await resolve_codes(await Reference.load(conn), district=district, street=street)
        check_district_within(codes["district"], within, N_("the place tried must be in your district ({within})"))
    fields = {"district": district, "street": street, "sector": sector, "tags": tags}
    return DryRun(await route_test(conn, topic, **fields, as_if_bound=True), await route_test(conn, topic, **fields))
