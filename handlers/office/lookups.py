"""Reading what an office user typed: a cell or an option as clean text, a reference code or
name (district, street, sector, committee, topic, tag), a member or a target by name. What cannot be
read raises :class:`AdminError` saying what was wrong."""

from __future__ import annotations

from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from storage import people, reference
from storage import targets as target_store

LEVELS = ("city", "district")
REFERENCE_KINDS = ("district", "street", "sector", "committee", "topic", "tag")
UNKNOWN = {"district": N_("unknown district '{value}'"), "street": N_("unknown street '{value}'"),
           "sector": N_("unknown sector '{value}'"), "committee": N_("unknown committee '{value}'"),
           "topic": N_("unknown topic '{value}'"), "tag": N_("unknown tag '{value}'")}  # one msgid per kind


def clean(value) -> str:
    """A cell as text: None → "", 1001.0 (a spreadsheet number) → "1001", whitespace trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def optional(value) -> str | None:
    value = clean(value)
    return value or None


class Reference:
    """Every known code, and a way to accept a code or an exact Chinese / English name."""

    def __init__(self):
        self.rows: dict[str, dict[str, object]] = {}
        self.aliases: dict[str, dict[str, str]] = {}

    @classmethod
    async def load(cls, conn) -> "Reference":
        ref = cls()
        for kind in REFERENCE_KINDS:
            rows = {r.code: r for r in await reference.rows_of(conn, kind)}
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


async def resolve_codes(ref: Reference, *, topic=None, district=None, street=None, sector=None,
                        committee=None, tag=None) -> dict[str, str | None]:
    """Validate codes (or names) of one request; a street brings its district along."""
    out: dict[str, str | None] = {}
    for kind, value in (("topic", topic), ("district", district), ("street", street),
                        ("sector", sector), ("committee", committee), ("tag", tag)):
        try:
            out[kind] = ref.code(kind, optional(value))
        except KeyError:
            raise AdminError(UNKNOWN[kind], field=kind, value=clean(value)) from None
    if out["street"]:
        street_district = ref.row("street", out["street"]).district_code
        if out["district"] and out["district"] != street_district:
            raise AdminError("street '{street}' is not in district '{district}' (it belongs to "
                             "'{street_district}')",
                             field="street", street=out["street"], district=out["district"],
                             street_district=street_district)
        out["district"] = street_district
    return out


async def find_member(conn, member_ref: str):
    member = await people.find(conn, clean(member_ref))
    if member is None:
        raise AdminError("no member with roster id or unique name '{member_ref}'",
                         field="member", member_ref=clean(member_ref))
    return member


async def find_target(conn, name: str):
    target = await target_store.by_name(conn, clean(name))
    if target is None:
        raise AdminError("unknown target '{name}' (see `linkage route list` or seeds/targets.yaml)",
                         field="target", name=clean(name))
    return target


# --- a district office's reach ------------------------------------------------------------------
# ``within`` (a district code) is the district an office user manages: None for the city office.
# A district office acts on its district's members, targets and rules, and on nothing else.

def check_member_within(member, within: str | None) -> None:
    if within is not None and member.district_code != within:
        raise AdminError("member {roster_id} is not in your district ({within})",
                         field="member", roster_id=member.roster_id, within=within)


def check_target_within(target, within: str | None) -> None:
    if within is not None and target.district_code != within:
        raise AdminError("target '{name}' is not one of your district's ({within})",
                         field="target", name=target.name, within=within)


def check_district_within(district_code: str | None, within: str | None, msgid: str, **values) -> None:
    """``msgid`` (an N_ msgid with ``{within}``) says what must be in the office's district."""
    if within is not None and district_code != within:
        raise AdminError(msgid, field="district", within=within, **values)
