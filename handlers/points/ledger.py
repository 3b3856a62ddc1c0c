"""The collector: every feature's point events (``Feature.point_sources``) become ledger entries,
once each (the entry's key makes a second collection add nothing), in the order they happened.

A rule's cap counts what the member earned by it in the event's calendar month (Asia/Shanghai):
an event that would pass it is recorded as ``capped`` with 0 points, so the member sees why. A
give-back is a negative entry of what the event had earned. The amounts are the rules' at the
time of recording: a rule change applies to entries recorded from then on (``recompute`` applies
the current table to the whole past). The office's corrections are entries too, never edits.
It runs nightly (a restart-safe timer) and before anything reads the ledger (/points, /record,
the board, the exports), so what a member or the office sees is always fresh.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.localtime import local, local_at, local_day
from handlers.office.lookups import check_member_within
from storage import audit, people
from storage import points as store

LOOKBACK = timedelta(days=1)  # events committed a little out of order are still collected
COLLECT_AT = "04:00"  # Asia/Shanghai: the nightly collection (every read of the ledger collects first too)
CORRECTION_RULE = "correction"


def month_of(moment: datetime) -> tuple[datetime, datetime]:
    """The local calendar month holding ``moment``, as [start, end) in UTC."""
    first = local_day(moment).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return day_start(first), day_start(following)


def day_start(day: date, *, days: int = 0) -> datetime:
    """The local midnight starting ``day`` (plus ``days``), in UTC."""
    return local_at(day + timedelta(days=days), "00:00")


def year_of(year: int) -> tuple[datetime, datetime]:
    return day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))


async def _record(conn, event, rules: dict, now: datetime) -> bool:
    rule = rules.get(event.rule_key)
    if rule is None:
        return False
    key = (event.member_id, event.rule_key, event.source_kind, event.source_id)
    values = dict(member_id=event.member_id, rule_key=event.rule_key, source_kind=event.source_kind,
                  source_id=event.source_id, reason=event.reason[:200], occurred_at=event.occurred_at,
                  recorded_at=now)
    if event.gives_back:
        earned = await store.entry(conn, *key, (store.EARNED, store.CAPPED))
        if earned is None or await store.entry(conn, *key, (store.GIVEN_BACK,)) is not None:
            return False
        await store.add_entry(conn, amount=-earned.amount, kind=store.GIVEN_BACK, **values)
        return True
    if await store.entry(conn, *key, (store.EARNED, store.CAPPED)) is not None:
        return False
    capped = False
    if rule.cap_per_month is not None:
        used = await store.earned_between(conn, event.member_id, event.rule_key, *month_of(event.occurred_at))
        capped = used + rule.points > rule.cap_per_month
    await store.add_entry(conn, amount=0 if capped else rule.points, kind=store.CAPPED if capped else store.EARNED,
                          **values)
    return True


async def collect(conn, features, now: datetime, *, since: datetime | None = None, everything: bool = False) -> int:
    """Record every event not recorded yet; returns how many entries were added. By default it
    reads from shortly before the latest event collected (``everything``: from the start)."""
    if not everything and since is None:
        latest = await store.latest_event_at(conn)
        since = None if latest is None else latest - LOOKBACK
    until = now + timedelta(microseconds=1)  # what happened at this very moment counts
    events = [event for source in features.point_sources for event in await source(conn, since, until)]
    events.sort(key=lambda e: (e.occurred_at, e.gives_back, e.member_id, e.rule_key, e.source_kind, e.source_id))
    rules = await store.rules(conn)
    added = 0
    for event in events:
        added += await _record(conn, event, rules, now)
    return added


async def recompute(conn, features, now: datetime, *, actor: str) -> int:
    """Rebuild every entry but the corrections from the recorded events, under today's rules."""
    removed = await store.forget_collected(conn)
    added = await collect(conn, features, now, everything=True)
    await audit.record(conn, actor, "points_recompute", {"removed": removed, "added": added}, now)
    return added


async def correct(conn, roster_ref: str, amount: int, reason: str, now: datetime, *, actor: str,
                  within: str | None = None) -> int:
    """The office's correction: an entry of its own with its reason (audited); returns the member id.
    ``within``: a district office corrects its own district's members only."""
    member = await people.find(conn, roster_ref)
    if member is None:
        raise AdminError("no member {roster_ref!r}", roster_ref=roster_ref)
    check_member_within(member, within)
    reason = reason.strip()
    if not reason:
        raise AdminError("a correction needs a reason")
    if amount == 0:
        raise AdminError("a correction of 0 points changes nothing")
    await store.add_entry(conn, member_id=member.id, rule_key=CORRECTION_RULE, source_kind="correction",
                          source_id=secrets.token_hex(8), amount=amount, reason=reason[:200], occurred_at=now,
                          recorded_at=now, actor=actor, kind=store.CORRECTION)
    await audit.record(conn, actor, "points_correct", {"member": member.roster_id, "points": amount,
                                                       "reason": reason[:200]}, now)
    return member.id


async def set_rule(conn, key: str, now: datetime, *, points: int, cap_per_month: int | None | bool = False,
                   actor: str) -> None:
    """Change a rule's points (and its monthly cap: None removes it; False leaves it), audited."""
    rule = await store.rule(conn, key)
    if rule is None:
        raise AdminError("no points rule {key!r} (see `linkage points rules`)", key=key)
    if points < 0:
        raise AdminError("a rule's points cannot be negative (a correction can)")
    cap = rule.cap_per_month if cap_per_month is False else cap_per_month
    if cap is not None and cap < 0:
        raise AdminError("a cap cannot be negative")
    await store.set_rule(conn, key, now, points=points, cap_per_month=cap)
    await audit.record(conn, actor, "points_rule_set", {"key": key, "points": [rule.points, points],
                                                        "cap_per_month": [rule.cap_per_month, cap]}, now)


def next_collection(now: datetime) -> datetime:
    """The next nightly collection strictly after ``now``."""
    today = local_at(local_day(now), COLLECT_AT)
    return today if today > now else local_at(local_day(now) + timedelta(days=1), COLLECT_AT)


async def plan_collection(ctx: Ctx) -> None:
    """Keep the next nightly collection planned (restart-safe: the timers table)."""
    due = next_collection(ctx.now)
    await ctx.schedule(f"points:collect:{local(due):%Y-%m-%d}", "points.collect", due,
                       expires_at=due + timedelta(days=1))


async def collect_job(ctx: Ctx, timer) -> None:
    await collect(ctx.conn, ctx.features, ctx.now)
