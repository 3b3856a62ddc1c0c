"""Who a session, a notice or a digest is for: all members, a level, a district, a committee,
a sector, or a list of roster ids — as a small JSON spec stored with what it addresses. The
members a spec addresses are loaded by ``storage.people.in_audience``."""

from __future__ import annotations

import html

from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from storage import reference

KINDS = ("all", "level", "district", "committee", "sector", "list")
AUDIENCE_LABELS = {"all": N_("all members"), "level:city": N_("city-level members"),
                   "level:district": N_("district-level members")}


def parse(text: str) -> dict:
    """'all', 'level:city', 'district:hongqiao', 'committee:economic', 'sector:education',
    'list:C001,H002' → a spec; an AdminError about ``audience`` otherwise."""
    kind, _, value = text.strip().partition(":")
    if kind not in KINDS:
        raise AdminError("audience must be one of {kinds} (e.g. district:hongqiao), not {text!r}", field="audience",
                         kinds=", ".join(KINDS), text=text)
    if kind == "all":
        return {"kind": "all"}
    if not value:
        raise AdminError("audience {kind} needs a value, e.g. {kind}:...", field="audience", kind=kind)
    if kind == "list":
        return {"kind": "list", "roster_ids": [v.strip() for v in value.split(",") if v.strip()]}
    if kind == "level" and value not in ("city", "district"):
        raise AdminError("level must be city or district", field="audience")
    return {"kind": kind, "value": value}


def addresses(spec: dict, member) -> bool:
    """Does the spec address this member? (For rows already loaded, without a query.)"""
    kind = spec.get("kind")
    if kind == "all":
        return True
    if kind == "list":
        return member.roster_id in spec.get("roster_ids", [])
    column = {"level": "level", "district": "district_code", "committee": "committee_code",
              "sector": "sector_code"}.get(kind)
    return column is not None and getattr(member, column) == spec.get("value")


def audience_text(spec: dict) -> str:
    """The spec as it is typed: all, level:city, district:hongqiao, list:C001,C002."""
    if spec["kind"] == "all":
        return "all"
    if spec["kind"] == "list":
        return "list:" + ",".join(spec["roster_ids"])
    return f"{spec['kind']}:{spec['value']}"


async def audience_label(conn, spec: dict, lang: str) -> str:
    """A readable name for an audience (HTML-safe)."""
    t = translator(lang)
    typed = audience_text(spec)
    if typed in AUDIENCE_LABELS:
        return t(AUDIENCE_LABELS[typed])
    if spec["kind"] == "district":
        row = await reference.district(conn, spec["value"])
        if row is not None:
            return t("members of {district}", district=reference.name(row, lang))
    if spec["kind"] == "list":
        return t("{count} listed members", count=len(spec["roster_ids"]))
    return html.escape(typed)
