"""The roster: reading a roster file (.csv or .xlsx) and importing it. An import validates
every row first and writes only when all are valid (upsert by roster id, never touching a
member's Telegram binding); it is written to the audit log."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from handlers.core.cells import read_cell
from handlers.core.context import without_bidi_controls
from handlers.core.errors import AdminError
from handlers.core.roles import DISTRICT_ADMIN, ROLES, STAFF
from handlers.office.lookups import LEVELS, UNKNOWN, Reference, clean
from storage import audit, people
from storage import targets as target_store

LANGUAGES = ("zh", "en")
ROSTER_COLUMNS = ("roster_id", "name", "level", "district", "street", "sector", "committee", "role",
                  "language", "liaison_for")
REQUIRED_COLUMNS = ("roster_id", "name", "level")
_LIMITS = {"roster_id": 32, "name": 64}  # the members table's column sizes


class RowError(str):
    """One problem of a row, naming the column it is in (``field``); reads as its English message,
    ``text(t)`` in the reader's language (a msgid with values, like :class:`AdminError`)."""
    field: str

    def __new__(cls, field_name: str, msgid: str, **values) -> "RowError":
        error = super().__new__(cls, str(AdminError(msgid, **values)))
        error.field, error.msgid, error.values = field_name, msgid, values
        return error

    def text(self, t) -> str:
        return AdminError(self.msgid, **self.values).text(t)


@dataclass
class RowResult:
    row: int  # the row number in the file (the header is row 1)
    roster_id: str
    errors: list[RowError] = field(default_factory=list)
    action: str | None = None  # created | updated | unchanged | skipped (a row with errors), once written
    name: str = ""

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
    only_valid: bool = False  # asked to write the valid rows and skip the others

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

    def problems(self) -> list[tuple[int, str, str]]:
        """The validation report: (row, field, problem) for every problem, in file order."""
        return [(r.row, e.field, str(e)) for r in self.rows for e in r.errors]

    def lines(self) -> list[str]:
        out = [r.line() for r in self.rows]
        if self.written and (self.ok or self.only_valid):
            out.append(f"{len(self.rows)} rows: {self.created} created, {self.updated} updated, "
                       f"{self.unchanged} unchanged" + (f", {len(self.errors)} skipped (errors)" if self.errors else ""))
        elif self.ok:
            out.append(f"{len(self.rows)} rows checked: no errors, nothing written yet")
        else:
            out.append(f"{len(self.errors)} of {len(self.rows)} rows have errors: nothing was imported")
        return out


def _validate_row(raw: dict, number: int, ref: Reference, target_names: set[str],
                  first_row_of: dict[str, int]) -> tuple[RowResult, dict]:
    v = {k: clean(raw.get(k)) for k in ROSTER_COLUMNS}
    result = RowResult(number, v["roster_id"], name=v["name"])
    errors = result.errors
    for column in REQUIRED_COLUMNS:
        if not v[column]:
            errors.append(RowError(column, "{column} is required", column=column))
    for column, limit in _LIMITS.items():
        if len(v[column]) > limit:
            errors.append(RowError(column, "{column} is longer than {limit} characters",
                                           column=column, limit=limit))
    if v["roster_id"]:
        if v["roster_id"] in first_row_of:
            errors.append(RowError("roster_id", "duplicate roster_id '{roster_id}' (first on row {first_row})",
                                                roster_id=v["roster_id"], first_row=first_row_of[v["roster_id"]]))
        else:
            first_row_of[v["roster_id"]] = number
    level = v["level"].lower()
    if v["level"] and level not in LEVELS:
        errors.append(RowError("level", "level '{level}' is not valid: use city or district", level=v["level"]))
    codes: dict[str, str | None] = {}
    for kind in ("district", "street", "sector", "committee"):
        try:
            codes[kind] = ref.code(kind, v[kind] or None)
        except KeyError:
            codes[kind] = None
            errors.append(RowError(kind, UNKNOWN[kind], value=v[kind]))
    if codes["street"]:
        street_district = ref.row("street", codes["street"]).district_code
        if codes["district"] is None and not v["district"]:
            codes["district"] = street_district
        elif codes["district"] and codes["district"] != street_district:
            errors.append(RowError("street", "street '{street}' is not in district '{district}' (it belongs "
                                             "to '{street_district}')",
                                             street=codes["street"], district=codes["district"],
                                             street_district=street_district))
    if level == "district" and not v["district"] and codes["district"] is None:
        errors.append(RowError("district", "district is required for a district-level member"))
    role = (v["role"] or "member").lower()
    if role not in ROLES:
        errors.append(RowError("role", "role '{role}' is not valid: use {roles}",
                                       role=v["role"], roles=", ".join(ROLES)))
    elif role == STAFF and not codes["committee"]:
        errors.append(RowError("committee", "role staff (专委会工作人员) needs the committee the member works for"))
    elif role == DISTRICT_ADMIN and not codes["district"]:
        errors.append(RowError("district", "role district_admin (区政协办公室工作人员) needs the district the member "
                                           "works for"))
    language = (v["language"] or "zh").lower()
    if language not in LANGUAGES:
        errors.append(RowError("language", "language '{language}' is not valid: use zh or en",
                                           language=v["language"]))
    liaison_for = [n.strip() for n in v["liaison_for"].split(";") if n.strip()]
    for name in liaison_for:
        if name not in target_names:
            errors.append(RowError("liaison_for", "liaison_for: unknown target '{name}'", name=name))
    values = {"roster_id": v["roster_id"], "name": v["name"], "level": level,
              "district_code": codes["district"], "street_code": codes["street"],
              "sector_code": codes["sector"], "committee_code": codes["committee"],
              "role": role, "language": language}
    return result, {"values": values, "liaison_for": list(dict.fromkeys(liaison_for))}


async def import_roster(conn, rows: list[dict], now, *, check_only: bool = False, only_valid: bool = False,
                        within: str | None = None, actor: str = "cli") -> ImportReport:
    """Validate every row first — the report says, per row, which field has which problem — and
    write only when all rows are valid (upsert by roster_id, never touching the Telegram binding;
    add liaison links); ``only_valid``: write the valid rows and skip the others; ``check_only``:
    write nothing. ``within`` (a district office): every row must be a member of that district,
    and no row may make an office admin. Row numbers count the header as row 1 unless a row
    carries its own ``_row`` (as :func:`read_roster_file` sets)."""
    ref = await Reference.load(conn)
    target_ids = {r.name: r.id for r in await target_store.names(conn)}
    report = ImportReport(only_valid=only_valid)
    parsed: list[dict] = []
    first_row_of: dict[str, int] = {}
    for index, raw in enumerate(rows):
        number = int(raw.get("_row") or index + 2)
        result, data = _validate_row(raw, number, ref, set(target_ids), first_row_of)
        if within is not None:
            await check_row_within(conn, result, data["values"], within)
        report.rows.append(result)
        parsed.append(data)
    if check_only or (not report.ok and not only_valid):
        return report  # an invalid file imports nothing

    for result, data in zip(report.rows, parsed):
        if not result.ok:
            result.action = "skipped"
            continue
        values = data["values"]
        existing = await people.by_roster_id(conn, values["roster_id"])
        wanted_links = [target_ids[n] for n in data["liaison_for"]]
        links = await target_store.liaison_target_ids(conn, existing.id) if existing is not None else set()
        if values["role"] == "member" and (wanted_links or links):
            values["role"] = "liaison"  # a liaison of some target is a liaison, whatever the file says
        if existing is None:
            member_id = await people.create(conn, **values, reachable=True, active=True, created_at=now)
            result.action = "created"
        else:
            member_id = existing.id
            changed = {k: val for k, val in values.items() if getattr(existing, k) != val}
            if changed:
                await people.change(conn, member_id, **changed)
            result.action = "updated" if changed else "unchanged"
        for target_id in wanted_links:
            if await target_store.add_liaison(conn, target_id, member_id) and result.action == "unchanged":
                result.action = "updated"
    report.written = True
    await audit.record(conn, actor, "roster.import",
                       {"rows": len(report.rows), "created": report.created, "updated": report.updated,
                        "unchanged": report.unchanged, "skipped": report.count("skipped")}, now)
    return report


async def check_row_within(conn, result: RowResult, values: dict, within: str) -> None:
    """A district office imports its own district's members, and makes no office admin."""
    if values["district_code"] != within:
        result.errors.append(RowError("district", "not your district: you manage the members of {within}",
                                      within=within))
    if values["role"] == "admin":
        result.errors.append(RowError("role", "only the city office makes office admins"))
    existing = await people.by_roster_id(conn, values["roster_id"]) if values["roster_id"] else None
    if existing is not None and existing.district_code != within:
        result.errors.append(RowError("roster_id", "roster_id '{roster_id}' is a member of another district",
                                                   roster_id=values["roster_id"]))


def read_roster_file(path) -> list[dict]:
    """The rows of a roster file as dicts keyed by lower-case column names: .csv (UTF-8, with
    or without BOM) or .xlsx (first sheet, header row first). Fully empty rows are skipped;
    each row keeps its file row number under ``_row``. A file that cannot be read this way
    raises :class:`AdminError` saying how to save it."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise AdminError('{name} is not UTF-8 text: save it as "CSV UTF-8" (or as .xlsx) and try again',
                             name=path.name) from None
        table = list(csv.reader(io.StringIO(text, newline="")))
    elif suffix == ".xlsx":
        import openpyxl
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            table = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    else:
        raise AdminError("cannot read roster file '{name}': the file type '{suffix}' is not supported; use "
                         ".csv (UTF-8) or .xlsx", name=path.name, suffix=suffix or "(none)")
    if not table:
        return []
    header = [clean(h).lower() for h in table[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise AdminError("{name}: the header row lacks the column(s) {missing}; expected columns: "
                         "{roster_columns}",
                         name=path.name, missing=", ".join(missing), roster_columns=','.join(ROSTER_COLUMNS))
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        # an exported "'=x" is the name "=x" again; bidi controls in a name could reorder a card
        cells = [without_bidi_controls(read_cell(clean(c))) for c in cells]
        if not any(cells):
            continue
        row = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name}
        row["_row"] = number
        rows.append(row)
    return rows
