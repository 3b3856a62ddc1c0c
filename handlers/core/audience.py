"""Who a session, a notice or a digest is for: all members, a level, a district, a committee,
a sector, or a list of roster ids — as a small JSON spec stored with what it addresses."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import members

KINDS = ("all", "level", "district", "committee", "sector", "list")


def parse(text: str) -> dict:
    """'all', 'level:city', 'district:hongqiao', 'committee:economic', 'sector:education',
    'list:C001,H002' → a spec; ValueError with a clear message otherwise."""
    kind, _, value = text.strip().partition(":")
    if kind not in KINDS:
        raise ValueError(f"audience must be one of {', '.join(KINDS)} (e.g. district:hongqiao), not {text!r}")
    if kind == "all":
        return {"kind": "all"}
    if not value:
        raise ValueError(f"audience {kind} needs a value, e.g. {kind}:...")
    if kind == "list":
        return {"kind": "list", "roster_ids": [v.strip() for v in value.split(",") if v.strip()]}
    if kind == "level" and value not in ("city", "district"):
        raise ValueError("level must be city or district")
    return {"kind": kind, "value": value}


def query(spec: dict):
    """The members (active, bound to Telegram) a spec addresses, as a SELECT."""
    where = [members.c.active.is_(True), members.c.telegram_user_id.is_not(None)]
    column = {"level": members.c.level, "district": members.c.district_code,
              "committee": members.c.committee_code, "sector": members.c.sector_code}.get(spec["kind"])
    if column is not None:
        where.append(column == spec["value"])
    elif spec["kind"] == "list":
        where.append(members.c.roster_id.in_(spec["roster_ids"]))
    return select(members).where(*where).order_by(members.c.id)


async def members_of(conn: AsyncConnection, spec: dict) -> list:
    return list(await conn.execute(query(spec)))


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
