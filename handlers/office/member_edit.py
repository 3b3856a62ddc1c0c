"""Editing one member of the roster: the same checks a roster row gets, on the member's current
values with the changes laid over them; the Telegram binding is never touched. Audited."""

from __future__ import annotations

from handlers.core.errors import AdminError
from handlers.office.lookups import Reference, check_member_within, find_member
from handlers.office.roster import RowError, RowResult, check_row_within, _validate_row
from storage import audit, people, reference
from storage import targets as target_store

KEEP = object()  # leave this field as it is
EDITABLE = ("name", "level", "district", "street", "sector", "committee", "role", "language")


class MemberEditError(AdminError):
    """The edit was refused; ``errors`` name the field of each problem (shown beside it)."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(errors))
        self.errors = errors

    def text(self, t) -> str:
        return "；".join(e.text(t) for e in self.errors)


async def current_values(conn, member) -> dict[str, str]:
    """The member as a roster row (codes; empty for none)."""
    return {"roster_id": member.roster_id, "name": member.name, "level": member.level,
            "district": member.district_code or "", "street": member.street_code or "",
            "sector": member.sector_code or "", "committee": member.committee_code or "",
            "role": member.role, "language": member.language, "liaison_for": ""}


async def edit_member(conn, member_ref: str, now, *, active=KEEP, within: str | None = None, actor: str = "cli",
                      **changes) -> list[str]:
    """Change the member's fields (a field given replaces the old value; "" empties it) and/or
    whether they are active. Returns the names of the fields that changed (empty: nothing did)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise AdminError("cannot edit {unknown}: a member's fields are {editable}",
                         unknown=", ".join(unknown), editable=", ".join(EDITABLE))
    member = await find_member(conn, member_ref)
    check_member_within(member, within)
    row = await current_values(conn, member)
    row.update({k: ("" if v is None else v) for k, v in changes.items() if v is not KEEP})
    if "district" in changes and "street" not in changes and row["street"]:
        street = next((s for s in await reference.rows_of(conn, "street") if s.code == row["street"]), None)
        if street is not None and street.district_code != row["district"]:
            row["street"] = ""  # a move to another district leaves the old district's street
    result, data = _validate_row(row, 0, await Reference.load(conn), set(), {})
    if within is not None:
        await check_row_within(conn, result, data["values"], within)
    _refuse_if_invalid(result)
    values = data["values"]
    if values["role"] == "member" and await target_store.liaison_target_ids(conn, member.id):
        values["role"] = "liaison"  # still a liaison of some target (linkage liaison remove first)
    if active is not KEEP:
        values["active"] = bool(active)
    changed = {k: v for k, v in values.items() if getattr(member, k) != v}
    if changed:
        await people.change(conn, member.id, **changed)
        await audit.record(conn, actor, "member.edit", {"member": member.roster_id,
                                                        "fields": sorted(changed)}, now)
    return sorted(changed)


def _refuse_if_invalid(result: RowResult) -> None:
    if result.errors:
        raise MemberEditError(result.errors)
