"""The console's audit log: who changed what, when, through which door ("cli", "seed",
"member:12" in chat, "console:member:12" in the console), filterable. The city office reads
everything; a district office's admin or a committee's staff, what their own people did."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.console.dashboard import PeriodError, bounds, period
from handlers.core.i18n import N_
from handlers.core.roles import CITY, Scope
from storage import console as store

MAX_ROWS = 300
DOORS = {"": N_("any"), "console:": N_("the web console"), "member:": N_("the chat"), "cli": N_("the command line"),
         "seed": N_("the seeds"), "system": N_("the bot itself")}


@dataclass
class AuditFilters:
    door: str = ""
    action: str = ""
    first: object = None
    last: object = None
    errors: dict = field(default_factory=dict)


def read_filters(query, today) -> AuditFilters:
    f = AuditFilters(door=query.get("door", ""), action=query.get("action", "").strip())
    if f.door not in DOORS:
        f.errors["door"], f.door = N_("Choose a door from the list."), ""
    if len(f.action) > 48:
        f.errors["action"], f.action = N_("An action is at most 48 characters."), ""
    if query.get("from") or query.get("to"):
        try:
            f.first, f.last = period(query.get("from"), query.get("to"), today)
        except PeriodError as exc:
            f.errors[exc.field] = str(exc)
    return f


async def actors_of(conn, scope: Scope) -> set[str] | None:
    """The actors whose entries the scope reads (None: all)."""
    if scope.kind == CITY:
        return None
    ids = await store.member_ids(conn, district=scope.district, committee=scope.committee_code)
    return {f"{door}member:{member_id}" for member_id in ids for door in ("", "console:")}


async def entries(conn, scope: Scope, f: AuditFilters) -> list:
    since, until = bounds(f.first, f.last) if f.first else (None, None)
    return await store.audit_entries(conn, actor_prefix=f.door or None, action_prefix=f.action or None,
                                     since=since, until=until, actors=await actors_of(conn, scope), limit=MAX_ROWS)
