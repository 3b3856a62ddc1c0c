"""The console's reports screen: the list with its filters (period, status, district, street, topic,
target, overdue) and search, a report's whole page, and revealing an anonymous author.

Who sees whom, as the member chose (handlers/reports/submit.py PRIVACY): the city office sees the
name of a named or alias report (别名: the office sees the name) and never an anonymous author's
unless an office admin reveals it — an explicit POST, written to the audit log; a district office's
admin sees what a liaison does (a named author, an alias, "anonymous member") and may not reveal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from handlers.console.dashboard import PeriodError, bounds, period
from handlers.core.context import HandlerConfig
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, Html, translator
from handlers.core.localtime import local_day
from handlers.core.roles import CITY, Scope
from handlers.reports import chain, lifecycle
from handlers.reports.cosign import ANSWER_LABELS
from handlers.reports.search import words_of
from storage import audit, people, reference
from storage import console as store
from storage import cosign as cosign_store
from storage import items as item_store
from storage import outcomes as outcome_store
from storage import targets as target_store

STATUS_GROUPS = {"open": item_store.OPEN, "waiting": item_store.WAITING, "handling": item_store.HANDLING,
                 "resolved": item_store.RESOLVED, "closed": item_store.CLOSED}
STATUS_GROUP_LABELS = {"open": N_("open"), "waiting": N_("waiting to be claimed"), "handling": N_("being handled"),
                       "resolved": N_("with an outcome"), "closed": N_("closed or withdrawn")}
FILE_KINDS = {"photo": N_("a photo"), "document": N_("a file"), "voice": N_("a voice message"),
              "location": N_("a location")}
MAX_LISTED = 200
MAX_QUERY = 100  # characters of a search


@dataclass
class Filters:
    first: object = None
    last: object = None
    status: str = ""
    district: str = ""
    street: str = ""
    topic: str = ""
    target: str = ""
    overdue: bool = False
    words: str = ""
    errors: dict = field(default_factory=dict)  # field → msgid


async def read_filters(conn, scope: Scope, query, today) -> Filters:
    """The list's filters from the query string; one that cannot be used is dropped, with its error."""
    f = Filters(status=query.get("status", ""), district=query.get("district", ""), street=query.get("street", ""),
                topic=query.get("topic", ""), target=query.get("target", ""), overdue=query.get("overdue") == "1",
                words=query.get("q", "").strip())
    if query.get("from") or query.get("to"):
        try:
            f.first, f.last = period(query.get("from"), query.get("to"), today)
        except PeriodError as exc:
            f.errors[exc.field] = str(exc)
    if f.status and f.status not in STATUS_GROUPS and f.status not in lifecycle.STATUS_LABELS:
        f.errors["status"], f.status = N_("Choose a status from the list."), ""
    if scope.district:
        f.district = scope.district  # a district's office sees its own district only, whatever is asked
    elif f.district and await reference.district(conn, f.district) is None:
        f.errors["district"], f.district = N_("There is no such district."), ""
    if f.street:
        street = await reference.street(conn, f.street)
        if street is None or (f.district and street.district_code != f.district):
            f.errors["street"], f.street = N_("There is no such street in the district."), ""
    if f.topic and await reference.topic(conn, f.topic) is None:
        f.errors["topic"], f.topic = N_("There is no such topic."), ""
    if f.target:
        target = await target_store.by_name(conn, f.target)
        if target is None or not scope.sees_target(target):
            f.errors["target"], f.target = N_("There is no such group."), ""
    if len(f.words) > MAX_QUERY:
        f.errors["q"], f.words = N_("A search is at most 100 characters."), ""
    return f


async def listing(conn, scope: Scope, f: Filters, config: HandlerConfig, now: datetime, lang: str) -> list[dict]:
    """The reports matching the filters, newest first, at most MAX_LISTED."""
    from handlers.console.dashboard import overdue_items
    since, until = bounds(f.first, f.last) if f.first else (None, None)
    statuses = STATUS_GROUPS.get(f.status) or ((f.status,) if f.status else None)
    target = await target_store.by_name(conn, f.target) if f.target else None
    found = await store.find_reports(conn, since=since, until=until, statuses=statuses, district=f.district or None,
                                     street=f.street or None, topic=f.topic or None,
                                     target_id=target.id if target else None, words=words_of(f.words),
                                     limit=MAX_LISTED)
    late = {item.id for item in await overdue_items(conn, scope, config, now)}
    if f.overdue:
        found = [item for item in found if item.id in late]
    return [{"item": item, "name": lifecycle.titled(item), "overdue": item.id in late,
             "status": lifecycle.status_label(item.status, lang),
             "topic": await reference.name_of(conn, reference.topic, item.topic_code, lang),
             "place": await lifecycle.place_label(conn, item, lang)} for item in found if scope.sees_item(item)]


async def choices(conn, scope: Scope, lang: str) -> dict:
    """What the filters' lists offer."""
    districts = [d for d in await reference.all_districts(conn) if scope.district in (None, d.code)]
    streets = [s for d in districts for s in await reference.streets_of(conn, d.code)]
    return {"districts": [(d.code, reference.name(d, lang)) for d in districts],
            "streets": [(s.code, reference.name(s, lang)) for s in streets],
            "topics": [(t.code, reference.name(t, lang)) for t in await reference.all_topics(conn)],
            "targets": [(row.name, reference.name(row, lang)) for row in await store.targets_in(conn, district=scope.district)],
            "groups": list(STATUS_GROUP_LABELS.items()), "statuses": list(lifecycle.STATUS_LABELS.items())}


def may_reveal(scope: Scope, item) -> bool:
    return scope.kind == CITY and item.privacy == "anonymous"


async def author_shown(conn, scope: Scope, item, author, lang: str, *, revealed: bool = False) -> str:
    t = translator(lang)
    if item.privacy == "anonymous":
        return t.plain("{name} (anonymous, revealed to you)", name=author.name) if revealed \
            else t.plain("anonymous member")
    if item.privacy == "office" and scope.kind != CITY:
        return t.plain("member {alias}", alias=await people.alias(conn, author.id))
    return author.name


async def report_page(conn, scope: Scope, code: str, lang: str, *, revealed: bool = False) -> dict:
    """Everything about one report the scope may see; AdminError when there is no such report for it."""
    item = await item_store.by_code(conn, code)
    if item is None or not scope.sees_item(item):
        raise AdminError("There is no such report among those you manage.")
    t = translator(lang)
    author = await people.by_id(conn, item.author_id)
    signed = [r for r in await cosign_store.of_item(conn, item.id)]
    stands = []
    for placement in await item_store.placements(conn, item.id, role=None):
        target = await target_store.by_id(conn, placement.target_id)
        stands.append({"where": reference.name(target, lang), "role": placement.role,
                       "since": placement.routed_at, "claimed": item.claimed_target_id == target.id})
    claimer = await people.by_id(conn, item.claimed_by) if item.claimed_by else None
    return {"item": item, "name": lifecycle.titled(item),
            "author": await author_shown(conn, scope, item, author, lang, revealed=revealed),
            "may_reveal": may_reveal(scope, item) and not revealed,
            "status": lifecycle.status_label(item.status, lang),
            "topic": await reference.name_of(conn, reference.topic, item.topic_code, lang),
            "tags": [reference.name(tag, lang) for tag in await item_store.tags_of(conn, item.id)],
            "place": Html(await lifecycle.place_label(conn, item, lang)),
            "files": [f.file_name or t.plain(FILE_KINDS.get(f.kind, f.kind)) for f in await item_store.files(conn, item.id)],
            "cosigners": [(r.name, t.plain(ANSWER_LABELS.get(r.status, r.status))) for r in signed],
            "hops": [Html(line) for line in await lifecycle.history_lines(conn, item, lang)],
            "chain": chain.chain_text(await outcome_store.chain(conn, item.id), lang),
            "stands": stands, "claimer": claimer.name if claimer else None,
            "merged_into": await lifecycle.merged_into(conn, item), "day": local_day(item.created_at)}


async def reveal(conn, scope: Scope, code: str, now: datetime, *, actor: str, lang: str) -> dict:
    """Show an anonymous author to an office admin: written to the audit log first."""
    item = await item_store.by_code(conn, code)
    if item is None or not scope.sees_item(item):
        raise AdminError("There is no such report among those you manage.")
    if not may_reveal(scope, item):
        raise AdminError("Only the city office may reveal the author of an anonymous report.")
    await audit.record(conn, actor, "console.reveal_author", {"item": item.code}, now)
    return await report_page(conn, scope, code, lang, revealed=True)
