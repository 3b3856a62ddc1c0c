"""Administration without a framework: roster import, invites, bind keys, liaisons and
routing rules. The CLI (``linkage member import``, ``linkage route add`` ...) and, later, the
office's chat commands call these functions inside one transaction each.

Every function takes an open ``conn`` (AsyncConnection) and, when it writes, ``now`` (an aware
UTC datetime from the clock). User-facing failures raise :class:`AdminError` with a clear
English message; every change of a rule, a binding key, a liaison or the roster is written to
the audit log (``actor`` names who did it: "cli", "seed", "member:12").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.core.cells import read_cell
from handlers.core.context import without_bidi_controls
from handlers.core.errors import AdminError
from handlers.reports.lifecycle import RouteTrace, resolve_route
from storage import audit, people
from storage import targets as target_store
from storage.schema import committees, districts, members, sectors, streets, target_liaisons, targets, topics

LEVELS = ("city", "district")
ROLES = ("member", "liaison", "admin")
LANGUAGES = ("zh", "en")
AREAS = ("city", "district", "street")
KINDS = ("topic", "district", "street", "office", "person")
ROSTER_COLUMNS = ("roster_id", "name", "level", "district", "street", "sector", "committee", "role",
                  "language", "liaison_for")
REQUIRED_COLUMNS = ("roster_id", "name", "level")
_LIMITS = {"roster_id": 32, "name": 64}  # the members table's column sizes
TARGET_NAME_LIMIT = 64


def _clean(value) -> str:
    """A cell as text: None → "", 1001.0 (a spreadsheet number) → "1001", whitespace trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _opt(value) -> str | None:
    value = _clean(value)
    return value or None


# --- reference look-ups -----------------------------------------------------------------

class _Reference:
    """Every known code, and a way to accept a code or an exact Chinese / English name."""

    def __init__(self):
        self.rows: dict[str, dict[str, object]] = {}
        self.aliases: dict[str, dict[str, str]] = {}

    @classmethod
    async def load(cls, conn: AsyncConnection) -> "_Reference":
        ref = cls()
        for kind, table in (("district", districts), ("street", streets), ("sector", sectors),
                            ("committee", committees), ("topic", topics)):
            rows = {r.code: r for r in await conn.execute(select(table))}
            aliases: dict[str, str] = {}
            for code, row in rows.items():
                aliases[row.name_zh] = code
                aliases[row.name_en.casefold()] = code
            for code in rows:  # codes win over names
                aliases[code.casefold()] = code
            ref.rows[kind], ref.aliases[kind] = rows, aliases
        return ref

    def code(self, kind: str, value: str | None) -> str | None:
        """The code for a code or name; None when empty; raises KeyError when unknown."""
        if not value:
            return None
        aliases = self.aliases[kind]
        code = aliases.get(value) or aliases.get(value.casefold())
        if code is None:
            raise KeyError(value)
        return code

    def row(self, kind: str, code: str):
        return self.rows[kind][code]


async def _resolve_codes(ref: _Reference, *, topic=None, district=None, street=None, sector=None,
                         committee=None) -> dict[str, str | None]:
    """Validate codes (or names) of one request; a street brings its district along."""
    out: dict[str, str | None] = {}
    for kind, value in (("topic", topic), ("district", district), ("street", street),
                        ("sector", sector), ("committee", committee)):
        try:
            out[kind] = ref.code(kind, _opt(value))
        except KeyError:
            raise AdminError(f"unknown {kind} '{_clean(value)}'") from None
    if out["street"]:
        street_district = ref.row("street", out["street"]).district_code
        if out["district"] and out["district"] != street_district:
            raise AdminError(f"street '{out['street']}' is not in district '{out['district']}' "
                             f"(it belongs to '{street_district}')")
        out["district"] = street_district
    return out


# --- roster import ------------------------------------------------------------------------

@dataclass
class RowResult:
    row: int  # the row number in the file (the header is row 1)
    roster_id: str
    errors: list[str] = field(default_factory=list)
    action: str | None = None  # created | updated | unchanged, once written

    @property
    def ok(self) -> bool:
        return not self.errors

    def line(self) -> str:
        who = f"row {self.row} ({self.roster_id or 'no roster_id'})"
        if self.errors:
            return f"{who}: ERROR: " + "; ".join(self.errors)
        return f"{who}: {self.action or 'ok, not written'}"


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if not r.ok]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    def lines(self) -> list[str]:
        out = [r.line() for r in self.rows]
        if self.ok:
            out.append(f"{len(self.rows)} rows: {self.created} created, {self.updated} updated, "
                       f"{self.unchanged} unchanged")
        else:
            out.append(f"{len(self.errors)} of {len(self.rows)} rows have errors: nothing was imported")
        return out


def _validate_row(raw: dict, number: int, ref: _Reference, target_names: set[str],
                  first_row_of: dict[str, int]) -> tuple[RowResult, dict]:
    v = {k: _clean(raw.get(k)) for k in ROSTER_COLUMNS}
    result = RowResult(number, v["roster_id"])
    errors = result.errors
    for column in REQUIRED_COLUMNS:
        if not v[column]:
            errors.append(f"{column} is required")
    for column, limit in _LIMITS.items():
        if len(v[column]) > limit:
            errors.append(f"{column} is longer than {limit} characters")
    if v["roster_id"]:
        if v["roster_id"] in first_row_of:
            errors.append(f"duplicate roster_id '{v['roster_id']}' (first on row {first_row_of[v['roster_id']]})")
        else:
            first_row_of[v["roster_id"]] = number
    level = v["level"].lower()
    if v["level"] and level not in LEVELS:
        errors.append(f"level '{v['level']}' is not valid: use city or district")
    codes: dict[str, str | None] = {}
    for kind in ("district", "street", "sector", "committee"):
        try:
            codes[kind] = ref.code(kind, v[kind] or None)
        except KeyError:
            codes[kind] = None
            errors.append(f"unknown {kind} '{v[kind]}'")
    if codes["street"]:
        street_district = ref.row("street", codes["street"]).district_code
        if codes["district"] is None and not v["district"]:
            codes["district"] = street_district
        elif codes["district"] and codes["district"] != street_district:
            errors.append(f"street '{codes['street']}' is not in district '{codes['district']}' "
                          f"(it belongs to '{street_district}')")
    if level == "district" and not v["district"] and codes["district"] is None:
        errors.append("district is required for a district-level member")
    role = (v["role"] or "member").lower()
    if role not in ROLES:
        errors.append(f"role '{v['role']}' is not valid: use member, liaison or admin")
    language = (v["language"] or "zh").lower()
    if language not in LANGUAGES:
        errors.append(f"language '{v['language']}' is not valid: use zh or en")
    liaison_for = [n.strip() for n in v["liaison_for"].split(";") if n.strip()]
    for name in liaison_for:
        if name not in target_names:
            errors.append(f"liaison_for: unknown target '{name}'")
    values = {"roster_id": v["roster_id"], "name": v["name"], "level": level,
              "district_code": codes["district"], "street_code": codes["street"],
              "sector_code": codes["sector"], "committee_code": codes["committee"],
              "role": role, "language": language}
    return result, {"values": values, "liaison_for": list(dict.fromkeys(liaison_for))}


async def import_roster(conn: AsyncConnection, rows: list[dict], now, *, actor: str = "cli") -> ImportReport:
    """Validate every row; write only when all rows are valid (upsert by roster_id, never
    touching the Telegram binding; add liaison links). Row numbers count the header as row 1
    unless a row carries its own ``_row`` (as :func:`read_roster_file` sets)."""
    ref = await _Reference.load(conn)
    target_ids = {r.name: r.id for r in await conn.execute(select(targets.c.name, targets.c.id))}
    report = ImportReport()
    parsed: list[dict] = []
    first_row_of: dict[str, int] = {}
    for index, raw in enumerate(rows):
        number = int(raw.get("_row") or index + 2)
        result, data = _validate_row(raw, number, ref, set(target_ids), first_row_of)
        report.rows.append(result)
        parsed.append(data)
    if not report.ok:
        return report  # an invalid file imports nothing

    for result, data in zip(report.rows, parsed):
        values = data["values"]
        existing = await people.by_roster_id(conn, values["roster_id"])
        wanted_links = [target_ids[n] for n in data["liaison_for"]]
        links = set()
        if existing is not None:
            links = set((await conn.execute(select(target_liaisons.c.target_id).where(
                target_liaisons.c.member_id == existing.id))).scalars())
        if values["role"] == "member" and (wanted_links or links):
            values["role"] = "liaison"  # a liaison of some target is a liaison, whatever the file says
        if existing is None:
            member_id = (await conn.execute(members.insert().values(
                **values, reachable=True, active=True, created_at=now))).inserted_primary_key[0]
            result.action = "created"
        else:
            member_id = existing.id
            changed = {k: val for k, val in values.items() if getattr(existing, k) != val}
            if changed:
                await conn.execute(update(members).where(members.c.id == member_id).values(**changed))
            result.action = "updated" if changed else "unchanged"
        for target_id in wanted_links:
            if await target_store.add_liaison(conn, target_id, member_id) and result.action == "unchanged":
                result.action = "updated"
    report.written = True
    await audit.record(conn, actor, "roster.import",
                       {"rows": len(report.rows), "created": report.created, "updated": report.updated,
                        "unchanged": report.unchanged}, now)
    return report


def read_roster_file(path) -> list[dict]:
    """The rows of a roster file as dicts keyed by lower-case column names: .csv (UTF-8, with
    or without BOM) or .xlsx (first sheet, header row first). Fully empty rows are skipped;
    each row keeps its file row number under ``_row``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError(f"{path.name} is not UTF-8 text: save it as \"CSV UTF-8\" (or as .xlsx) "
                             "and try again") from None
        table = list(csv.reader(io.StringIO(text, newline="")))
    elif suffix == ".xlsx":
        import openpyxl
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            table = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    else:
        raise ValueError(f"cannot read roster file '{path.name}': the file type '{suffix or '(none)'}' "
                         "is not supported; use .csv (UTF-8) or .xlsx")
    if not table:
        return []
    header = [_clean(h).lower() for h in table[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{path.name}: the header row lacks the column(s) {', '.join(missing)}; "
                         f"expected columns: {','.join(ROSTER_COLUMNS)}")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        # an exported "'=x" is the name "=x" again; bidi controls in a name could reorder a card
        cells = [without_bidi_controls(read_cell(_clean(c))) for c in cells]
        if not any(cells):
            continue
        row = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name}
        row["_row"] = number
        rows.append(row)
    return rows


# --- invites, bind keys, liaisons ------------------------------------------------------------

async def _member(conn: AsyncConnection, member_ref: str):
    member = await people.find(conn, _clean(member_ref))
    if member is None:
        raise AdminError(f"no member with roster id or unique name '{_clean(member_ref)}'")
    return member


async def invite_link(conn: AsyncConnection, member_ref: str, now, days: int, bot_username: str, *,
                      actor: str = "cli") -> str:
    """A one-time deep link that binds the member's Telegram account: https://t.me/BOT?start=CODE."""
    member = await _member(conn, member_ref)
    if not member.active:
        raise AdminError(f"member {member.roster_id} ({member.name}) is not active")
    if days <= 0:
        raise AdminError("an invite must be valid for at least one day")
    username = _clean(bot_username).lstrip("@")
    if not username:
        raise AdminError("the bot's username is not set (LINKAGE_BOT_USERNAME)")
    code = await people.create_invite(conn, member.id, now, days)
    await audit.record(conn, actor, "invite.create", {"member": member.roster_id, "days": days}, now)
    return f"https://t.me/{username}?start={code}"


def default_titles(kind: str, row=None) -> tuple[str, str]:
    """The titles a new target gets from its reference row (topic, district, street, member)."""
    if kind == "office":
        return "市政协委员学习和联络室 · 收件组", "City office intake"
    if kind == "topic":
        return f"市政协 · {row.name_zh} 主题组", f"City CPPCC · {row.name_en} topic group"
    if kind == "district":
        return f"{row.name_zh}政协联络组", f"{row.name_en} liaison port"
    if kind == "street":
        return f"{row.name_zh}委员联络中心", f"{row.name_en} member liaison centre"
    return row.name, row.name  # person


async def make_bind_key(conn: AsyncConnection, name: str, kind: str, now, hours: int, *,
                        level: str | None = None, topic: str | None = None, district: str | None = None,
                        street: str | None = None, title_zh: str | None = None, title_en: str | None = None,
                        actor: str = "cli") -> str:
    """Create or update the target NAME and return a one-time key for ``/bind KEY``.

    Codes may be left out when the name follows the convention ``topic:<code>``,
    ``district:<code>``, ``street:<code>`` or ``person:<roster id>``. The level defaults to city
    for topic and office targets, district for district and street targets, the member's level
    for a person; the titles default from the reference data. An existing target keeps its
    binding until the key is used elsewhere."""
    name = _clean(name)
    if not name:
        raise AdminError("a target needs a name, e.g. topic:smart_parking or district:hongqiao")
    if len(name) > TARGET_NAME_LIMIT:
        raise AdminError(f"a target name has at most {TARGET_NAME_LIMIT} characters")
    if kind not in KINDS:
        raise AdminError(f"kind '{kind}' is not valid: use {', '.join(KINDS)}")
    if hours <= 0:
        raise AdminError("a bind key must be valid for at least one hour")
    if level is not None and level not in LEVELS:
        raise AdminError(f"level '{level}' is not valid: use city or district")
    existing = await target_store.by_name(conn, name)
    if existing is not None and existing.kind != kind:
        raise AdminError(f"target '{name}' exists with kind '{existing.kind}', not '{kind}'")
    prefix, _, suffix = name.partition(":")
    from_name = suffix if prefix == kind and suffix else None

    ref = await _Reference.load(conn)
    topic = _opt(topic) or (from_name if kind == "topic" else None) or (existing.topic_code if existing else None)
    street = _opt(street) or (from_name if kind == "street" else None) or (existing.street_code if existing else None)
    district = (_opt(district) or (from_name if kind == "district" else None)
                or (existing.district_code if existing else None))
    codes = await _resolve_codes(ref, topic=topic, district=district, street=street)
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
        if codes["topic"] or _opt(street):
            raise AdminError("a district target takes no topic and no street")
        source, default_level = ref.row("district", codes["district"]), "district"
    elif kind == "street":
        if not codes["street"]:
            raise AdminError("a street target needs a street (--street CODE or the name street:CODE)")
        if codes["topic"]:
            raise AdminError("a street target takes no topic")
        source, default_level = ref.row("street", codes["street"]), "district"
    elif kind == "office":
        if any(codes.values()):
            raise AdminError("an office target takes no topic, district or street")
        source, default_level = None, "city"
    else:  # person
        if any(codes.values()):
            raise AdminError("a person target takes no topic, district or street")
        if prefix != "person" or not suffix:
            raise AdminError("a person target is named person:<roster id>")
        member = await _member(conn, suffix)
        source, default_level = member, member.level
    default_zh, default_en = default_titles(kind, source)
    values = {
        "name": name, "kind": kind, "level": level or (existing.level if existing else default_level),
        "topic_code": codes["topic"], "district_code": codes["district"], "street_code": codes["street"],
        "member_id": member.id if member else None,
        "title_zh": _opt(title_zh) or (existing.title_zh if existing else default_zh),
        "title_en": _opt(title_en) or (existing.title_en if existing else default_en),
    }
    target_id = await target_store.upsert(conn, **values)
    key = await target_store.create_bind_key(conn, target_id, now, hours)
    await audit.record(conn, actor, "bind_key.create",
                       {"target": name, "kind": kind, "hours": hours, "new_target": existing is None}, now)
    return key


async def _target(conn: AsyncConnection, name: str):
    target = await target_store.by_name(conn, _clean(name))
    if target is None:
        raise AdminError(f"unknown target '{_clean(name)}' (see `linkage route list` or seeds/targets.yaml)")
    return target


async def add_liaison(conn: AsyncConnection, member_ref: str, target_name: str, now, *,
                      actor: str = "cli") -> bool:
    """Make the member a liaison of the target; False when they already were."""
    member = await _member(conn, member_ref)
    target = await _target(conn, target_name)
    added = await target_store.add_liaison(conn, target.id, member.id)
    if added:
        await audit.record(conn, actor, "liaison.add", {"member": member.roster_id, "target": target.name}, now)
    return added


# --- routing rules --------------------------------------------------------------------------

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
    stop: bool
    note: str | None
    targets: list[str]
    unbound: list[str]

    def conditions(self) -> str:
        parts = [f"{k}={v}" for k, v in (("area", self.area), ("topic", self.topic), ("district", self.district),
                                          ("street", self.street), ("sector", self.sector)) if v]
        return " ".join(parts) or "any item"

    def __str__(self) -> str:
        names = ", ".join(n + (" (unbound)" if n in self.unbound else "") for n in self.targets)
        text = f"#{self.id} pos {self.position}: {self.conditions()} → {names or 'nothing'}"
        text += " [stop]" if self.stop else " [continue]"
        return text + (f" — {self.note}" if self.note else "")


async def list_rules(conn: AsyncConnection) -> list[RuleView]:
    names = {r.id: r for r in await conn.execute(select(targets.c.id, targets.c.name, targets.c.chat_id))}
    return [RuleView(rule.id, rule.position, rule.area, rule.topic_code, rule.district_code, rule.street_code,
                     rule.sector_code, rule.stop, rule.note,
                     [names[t].name for t in rule.target_ids],
                     [names[t].name for t in rule.target_ids if names[t].chat_id is None])
            for rule in await target_store.rules(conn)]


async def add_rule(conn: AsyncConnection, target_names: list[str], now, *, area: str | None = None,
                   topic: str | None = None, district: str | None = None, street: str | None = None,
                   sector: str | None = None, stop: bool = True, position: int | None = None,
                   note: str | None = None, actor: str = "cli") -> int:
    """Add a rule sending matching items to the named targets; returns its id. Without a
    position it goes last (the highest position + 10)."""
    names = list(dict.fromkeys(_clean(n) for n in target_names if _clean(n)))
    if not names:
        raise AdminError("a rule needs at least one target")
    target_rows = [await _target(conn, n) for n in names]
    area = _opt(area)
    if area is not None and area not in AREAS:
        raise AdminError(f"area '{area}' is not valid: use city, district or street")
    codes = await _resolve_codes(await _Reference.load(conn), topic=topic, district=district,
                                 street=street, sector=sector)
    if area == "city" and (codes["district"] or codes["street"]):
        raise AdminError("a city-wide item has no district or street: this rule could never match")
    if area == "district" and codes["street"]:
        raise AdminError("a district-level item has no street: this rule could never match")
    note = _opt(note)
    if note and len(note) > 200:
        raise AdminError("a rule note has at most 200 characters")
    rule_id = await target_store.add_rule(
        conn, [t.id for t in target_rows], position=position, area=area, topic_code=codes["topic"],
        district_code=codes["district"], street_code=codes["street"], sector_code=codes["sector"],
        stop=bool(stop), note=note)
    rule = next(r for r in await target_store.rules(conn) if r.id == rule_id)
    await audit.record(conn, actor, "rule.add", _rule_detail(rule, names), now)
    return rule_id


def _rule_detail(rule, target_names: list[str]) -> dict:
    return {"rule_id": rule.id, "position": rule.position, "area": rule.area, "topic": rule.topic_code,
            "district": rule.district_code, "street": rule.street_code, "sector": rule.sector_code,
            "stop": rule.stop, "targets": target_names, "note": rule.note}


async def delete_rule(conn: AsyncConnection, rule_id: int, now, *, actor: str = "cli") -> None:
    rule = next((r for r in await target_store.rules(conn) if r.id == rule_id), None)
    if rule is None:
        raise AdminError(f"there is no rule #{rule_id} (see `linkage route list`)")
    names = [(await target_store.by_id(conn, t)).name for t in rule.target_ids]
    await target_store.delete_rule(conn, rule_id)
    await audit.record(conn, actor, "rule.delete", _rule_detail(rule, names), now)


async def route_test(conn: AsyncConnection, topic: str, district: str | None = None,
                     street: str | None = None, sector: str | None = None) -> RouteTrace:
    """Dry run: where would an item with this topic and place go now? The area is the street
    when a street is given, the district when a district is given, else the whole city."""
    if not _opt(topic):
        raise AdminError("a route test needs a topic")
    codes = await _resolve_codes(await _Reference.load(conn), topic=topic, district=district,
                                 street=street, sector=sector)
    area = "street" if codes["street"] else "district" if codes["district"] else "city"
    return await resolve_route(conn, area=area, topic=codes["topic"], district=codes["district"],
                               street=codes["street"], sector=codes["sector"])
