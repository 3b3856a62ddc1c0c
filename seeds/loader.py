"""Load the seed files of this folder into the database (``linkage seed``).

Idempotent: running it twice changes nothing and duplicates nothing.
- Reference rows (districts, streets, sectors, committees, domains, topics, tags) are upserted by
  code, so a database seeded before gets the new labels, domains and menu order; no row is deleted.
- Targets are upserted by name; the binding of an existing target (chat_id, thread_id,
  bound_at) is never touched.
- Routing rules are added only when the rule table is empty, so the office's own edits
  survive a re-seed; each rule added is written to the audit log.
- Departments (departments.yaml) and reply templates (templates.yaml) are added only where the
  table has none of that code, or of that kind and topic: the office's renames, retirements and
  texts survive a re-seed.
- Points rules (points.yaml, a local starting table) are added only where the key is missing:
  the office's values survive a re-seed.
- The sample roster (roster.csv, fictional people) goes through the same importer as a real
  roster (handlers.office.roster.import_roster): upsert by roster_id, Telegram bindings untouched.
Everything happens in one transaction: a broken seed file leaves the database as it was.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from handlers.core.audience import parse as parse_audience
from handlers.core.errors import AdminError
from handlers.office.roster import import_roster, read_roster_file
from handlers.office.rules import add_rule
from storage import cache as reference_cache
from storage import channels as channel_store
from storage import calendar as calendar_store
from storage import departments as department_store
from storage import outcomes as outcome_store
from storage import points as points_store
from seeds import serving as serving_seeds
from storage import targets as target_store
from storage.schema import committees, districts, domains, routing_rules, sectors, streets, tags, topics

SEED_DIR = Path(__file__).resolve().parent
RULE_FIELDS = ("area", "topic", "district", "street", "sector", "tag")
MENU_DOMAINS = 10  # a screen holds at most 10 buttons: the domains, 其他 among them
MENU_TOPICS = 8  # a domain's topics, with 其他 and 返回 beside them
MENU_TAGS = 8  # with Done and Skip


def read_yaml(name: str, seed_dir: Path = SEED_DIR) -> dict:
    with open(seed_dir / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _unique(rows: list[dict], what: str, key: str = "code") -> list[dict]:
    seen = set()
    for row in rows:
        if row[key] in seen:
            raise ValueError(f"seeds: {what} '{row[key]}' appears twice")
        seen.add(row[key])
    return rows


def reference_rows(seed_dir: Path = SEED_DIR) -> dict[str, list[dict]]:
    """The reference tables' rows as the database stores them."""
    out = {
        "districts": [{"code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en"],
                       "pilot": bool(r.get("pilot", False))}
                      for r in read_yaml("districts.yaml", seed_dir)["districts"]],
        "streets": [{"code": r["code"], "district_code": r["district"], "name_zh": r["name_zh"],
                     "name_en": r["name_en"]} for r in read_yaml("streets.yaml", seed_dir)["streets"]],
        "sectors": [{"code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en"]}
                    for r in read_yaml("sectors.yaml", seed_dir)["sectors"]],
        "committees": [{"code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en"]}
                       for r in read_yaml("committees.yaml", seed_dir)["committees"]],
        "domains": _ordered(read_yaml("domains.yaml", seed_dir)["domains"]),
        "topics": _ordered(read_yaml("topics.yaml", seed_dir)["topics"], "domain"),
        "tags": _ordered(read_yaml("tags.yaml", seed_dir)["tags"]),
    }
    for what, rows in out.items():
        _unique(rows, what)
    _check_menu(out)
    return out


def department_rows(reference: dict[str, list[dict]], seed_dir: Path = SEED_DIR) -> list[dict]:
    known = {d["code"] for d in reference["districts"]}
    rows = _unique([{"code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en"],
                     "district_code": r.get("district")} for r in read_yaml("departments.yaml", seed_dir)["departments"]],
                   "department")
    for row in rows:
        if row["district_code"] is not None and row["district_code"] not in known:
            raise ValueError(f"seeds: department '{row['code']}': unknown district '{row['district_code']}'")
    return rows


def template_rows(reference: dict[str, list[dict]], seed_dir: Path = SEED_DIR) -> list[dict]:
    known = {t["code"] for t in reference["topics"]}
    rows = [{"kind": r["kind"], "topic_code": r.get("topic"), "text": r["text"]}
            for r in read_yaml("templates.yaml", seed_dir)["templates"]]
    for row in rows:
        if row["topic_code"] is not None and row["topic_code"] not in known:
            raise ValueError(f"seeds: template for '{row['kind']}': unknown topic '{row['topic_code']}'")
    return rows
def _ordered(rows: list[dict], *extra: str) -> list[dict]:
    """Rows whose position is their order in the file (the order of the buttons)."""
    return [{"code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en"], "position": position,
             **{k: r[k] for k in extra}} for position, r in enumerate(rows, start=1)]


def _check_menu(out: dict[str, list[dict]]) -> None:
    """The topic menu fits its screens: at most 10 buttons each, 其他 last."""
    for what, rows in (("domain", out["domains"]), ("topic", out["topics"])):
        if not rows or rows[-1]["code"] != "other":
            raise ValueError(f"seeds: the {what} 'other' must be the last one in {what}s.yaml")
    if len(out["domains"]) > MENU_DOMAINS:
        raise ValueError(f"seeds: {len(out['domains'])} domains, a screen holds {MENU_DOMAINS}")
    if len(out["tags"]) > MENU_TAGS:
        raise ValueError(f"seeds: {len(out['tags'])} tags, a screen holds {MENU_TAGS}")
    known = {d["code"] for d in out["domains"]}
    for domain in known:
        count = sum(1 for t in out["topics"] if t["domain"] == domain)
        if count > MENU_TOPICS:
            raise ValueError(f"seeds: domain '{domain}' has {count} topics, a screen holds {MENU_TOPICS}")
    for topic in out["topics"]:
        if topic["domain"] not in known:
            raise ValueError(f"seeds: topic '{topic['code']}' names the unknown domain '{topic['domain']}'")


def target_rows(reference: dict[str, list[dict]], seed_dir: Path = SEED_DIR) -> list[dict]:
    """The default targets: the listed ones, then one per row of each pattern's source list."""
    data = read_yaml("targets.yaml", seed_dir)
    columns = ("name", "kind", "level", "title_zh", "title_en")
    rows = [{c: t[c] for c in columns} for t in data.get("targets", [])]
    code_column = {"topics": "topic_code", "districts": "district_code", "streets": "street_code",
                   "sectors": "sector_code"}
    for pattern in (data.get("patterns") or {}).values():
        source = pattern["from"]
        for ref in reference[source]:
            fields = {"code": ref["code"], "name_zh": ref["name_zh"], "name_en": ref["name_en"]}
            row = {c: str(pattern[c]).format(**fields) for c in columns}
            row[code_column[source]] = ref["code"]
            if source == "streets":
                row["district_code"] = ref["district_code"]
            rows.append(row)
    return _unique(rows, "target", key="name")


def point_rule_rows(seed_dir: Path = SEED_DIR) -> list[dict]:
    """points.yaml: one dict per rule (key, points, cap_per_month, label_zh, label_en)."""
    return _unique([{"key": r["key"], "points": int(r["points"]), "cap_per_month": r.get("cap_per_month"),
                     "label_zh": r["label_zh"], "label_en": r["label_en"]}
                    for r in read_yaml("points.yaml", seed_dir)["rules"]], "point rule", key="key")


def rule_specs(reference: dict[str, list[dict]], seed_dir: Path = SEED_DIR) -> list[dict]:
    """rules.yaml expanded: one dict per rule (targets, stop, watch, note, conditions), in order."""
    source = {"street": "streets", "district": "districts", "topic": "topics", "tag": "tags"}
    specs = []
    for entry in read_yaml("rules.yaml", seed_dir)["rules"]:
        if "for_each" in entry:
            rows = reference[source[entry["for_each"]]]
            where = entry.get("where") or {}
            if "district" in where:
                rows = [r for r in rows if r.get("district_code") == where["district"]]
            rows = [r for r in rows if r["code"] not in set(entry.get("except") or ())]
            codes = [r["code"] for r in rows]
        else:
            codes = [None]
        for code in codes:
            def fill(value):
                return value.replace("{code}", code) if code is not None and isinstance(value, str) else value
            match = entry.get("match") or {}
            unknown = set(match) - set(RULE_FIELDS)
            if unknown:
                raise ValueError(f"seeds: rules.yaml: unknown condition(s) {sorted(unknown)}")
            specs.append({"targets": [fill(t) for t in entry["targets"]], "stop": bool(entry.get("stop", True)),
                          "watch": bool(entry.get("watch", True)), "note": fill(entry.get("note")),
                          **{k: fill(match.get(k)) for k in RULE_FIELDS}})
    return specs


def channel_rows(reference: dict[str, list[dict]], seed_dir: Path = SEED_DIR) -> list[dict]:
    """channels.yaml: the city channels, then one per district (its name from districts.yaml)."""
    data = read_yaml("channels.yaml", seed_dir)
    rows = [{"code": r["code"], "name_zh": r["name_zh"], "name_en": r["name_en"], "district_code": None,
             "audience": parse_audience(r.get("audience", "all"))}
            for r in data.get("channels", [])]
    pattern = data.get("district_channels")
    for d in reference["districts"] if pattern else []:
        rows.append({"code": pattern["code"].format(district=d["code"]),
                     "name_zh": pattern["name_zh"].format(name_zh=d["name_zh"]),
                     "name_en": pattern["name_en"].format(name_en=d["name_en"]), "district_code": d["code"],
                     "audience": parse_audience(pattern.get("audience", "all"))})
    return [{**row, "position": position} for position, row in enumerate(_unique(rows, "channel"), start=1)]


async def _upsert_by_code(conn: AsyncConnection, table, rows: list[dict]) -> int:
    existing = {r.code: r._mapping for r in await conn.execute(select(table))}
    for row in rows:
        old = existing.get(row["code"])
        if old is None:
            await conn.execute(table.insert().values(**row))
        elif any(old[k] != v for k, v in row.items()):
            await conn.execute(update(table).where(table.c.code == row["code"]).values(**row))
    return len(rows)


async def load_seeds(db, now, *, roster: bool = True, seed_dir: Path | str | None = None) -> dict[str, int]:
    """Load every seed file; returns how many rows of each kind the seeds hold now
    (the same numbers on every run)."""
    seed_dir = Path(seed_dir) if seed_dir else SEED_DIR
    reference = reference_rows(seed_dir)
    default_targets = target_rows(reference, seed_dir)
    specs = rule_specs(reference, seed_dir)
    departments, templates = department_rows(reference, seed_dir), template_rows(reference, seed_dir)
    roster_rows = read_roster_file(seed_dir / "roster.csv") if roster else []

    counts: dict[str, int] = {}
    async with db.transaction() as conn:
        await reference_cache.changed(conn)  # every process reads the reference rows afresh after this
        for name, table in (("districts", districts), ("streets", streets), ("sectors", sectors),
                            ("committees", committees), ("domains", domains), ("topics", topics), ("tags", tags)):
            counts[name] = await _upsert_by_code(conn, table, reference[name])
        for row in default_targets:
            await target_store.upsert(conn, **row)  # never touches chat_id / thread_id / bound_at
        counts["targets"] = len(default_targets)
        if not (await conn.execute(select(func.count()).select_from(routing_rules))).scalar_one():
            for position, spec in enumerate(specs, start=1):
                await add_rule(conn, spec["targets"], now, position=position * 10, stop=spec["stop"],
                               watch=spec["watch"], note=spec["note"], actor="seed",
                               **{k: spec[k] for k in RULE_FIELDS})
        counts["rules"] = (await conn.execute(select(func.count()).select_from(routing_rules))).scalar_one()
        await department_store.add_missing(conn, departments, now)
        counts["departments"] = len(departments)
        await outcome_store.add_missing_templates(conn, templates, now)
        counts["templates"] = len(templates)
        point_rules = point_rule_rows(seed_dir)
        await points_store.add_missing_rules(conn, point_rules, now)
        counts["point_rules"] = len(point_rules)
        counts["channels"] = await channel_store.add_missing(conn, channel_rows(reference, seed_dir), now)
        if roster:
            report = await import_roster(conn, roster_rows, now, actor="seed")
            if not report.ok:
                raise AdminError("the sample roster seeds/roster.csv is invalid:\n" + "\n".join(report.lines()))
            counts["members"] = len(report.rows)
        # holidays.yaml: only the seed's own rows are synced; the office's edits are kept
        rows = calendar_store.seed_rows(read_yaml("holidays.yaml", seed_dir))
        counts["holidays"] = await calendar_store.sync_seed(conn, rows, now)
        counts.update(await serving_seeds.load(conn, now, seed_dir))  # guide.yaml, contacts.yaml (服务委员)
    return counts
