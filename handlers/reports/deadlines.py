"""Deadlines (PRODUCT.md §6): working-day timers per state, nudging owner → group → city office.

Working days (``add_working_days``), in Asia/Shanghai: Monday–Friday, except the public
holidays of the calendar table, plus its make-up workdays (调休上班) even on a weekend. The
table is ``storage/calendar.py`` (seeded from seeds/holidays.yaml, updated by the office with
``linkage holidays ...`` or ``/holidays``), read afresh for every computation, so the office's
edits win at once; pending nudges are re-timed when the table changes.

The rule for "within n working days": the day the clock starts never counts (as 民法典 第二百零一条
counts periods: 开始的当日不计入); the deadline is the n-th working day after it, at the end of
that working day — ``deadline_time`` (default 17:30 Asia/Shanghai, the end of an office day).
So a report routed on Friday (morning or 23:59) or on Saturday is due to be claimed by Monday
17:30: on a non-working day, counting starts with the next working day. Dates are taken in
Asia/Shanghai, never in UTC (a claim at 23:30 Monday in Tianjin is a Monday claim).

The clocks (defaults from the settings ``deadline_*_days``):
- ``claim``: an item waiting at its target(s) unclaimed (routed, forwarded, escalated,
  delegated, released) is to be claimed within 1 working day of arriving there;
- ``reply``: once claimed, a first reply to the member or a question to them within 3;
- ``outcome``: an outcome recorded within 7 working days of the claim (the clock runs on
  while the member is asked for information: the liaison may record an outcome anyway).

Each clock arms three timers, keys ``deadline:{item_id}:{phase}:{anchor}:{step}`` where
``anchor`` is the id of the item event that started the clock (an item may enter the same
state again: each time is a new occurrence) and step 1 = the owner (privately: the claiming
liaison; for an unclaimed item the liaisons of its target(s)) at the deadline, step 2 = the
group (a reply to the item's card) one working day later, step 3 = the city office (its bound
office target, else the office admins privately) one more working day later. A step expires
when the next one falls due, so after a long outage only the latest step is sent.

The one hook: ``on_state_change(ctx, item_id)`` hears of every move of an item (the reports
feature declares it in ``on_item_moved``; ``transitions.move``, which every change of state and every
routing goes through, calls it).
It works out which clocks the item's current state and history call for, cancels pending
timers of clocks that no longer apply (``storage.timers.cancel`` on the occurrence's prefix)
and arms the new ones; arming is idempotent (a timer's key is its occurrence).

Nudges are short and polite, carry the code, where it waits, the deadline and how overdue it
is — never the author, whatever the report's privacy.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from handlers.core.context import Ctx, HandlerConfig
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local, local_at, local_day
from storage import calendar as calendar_store
from storage import audit, outbox, people, reference, timers
from storage import items as item_store
from storage import targets as target_store
from storage.calendar import WorkCalendar

log = logging.getLogger("linkage.deadlines")

KIND = "deadline"
PHASES = ("claim", "reply", "outcome")
STEPS = (1, 2, 3)  # owner, group, city office
MAX_SCAN_DAYS = 3660  # a calendar with no working day at all must not loop forever


# --- working-day arithmetic ------------------------------------------------------------------

def end_of_day(config: HandlerConfig) -> time:
    try:
        return time.fromisoformat(config.deadline_time)
    except ValueError as exc:
        raise ValueError(f"LINKAGE_DEADLINE_TIME must be HH:MM, not {config.deadline_time!r}") from exc


def next_working_day(day: date, calendar: WorkCalendar) -> date:
    """The first working day after ``day``."""
    for _ in range(MAX_SCAN_DAYS):
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            return day
    raise ValueError("the calendar has no working day in ten years")


def add_working_days(start: datetime, n: int, calendar: WorkCalendar, end: time = time(17, 30)) -> datetime:
    """The end (``end``, Asia/Shanghai) of the n-th working day after the day of ``start``
    (the start day itself never counts); returned in UTC. n = 0: the end of the start day if
    it is a working day, else of the next working day."""
    day = local_day(start)
    if n <= 0:
        if not calendar.is_working_day(day):
            day = next_working_day(day, calendar)
    for _ in range(max(n, 0)):
        day = next_working_day(day, calendar)
    return local_at(day, end)


def working_days_overdue(due: datetime, now: datetime, calendar: WorkCalendar, end: time = time(17, 30)) -> int:
    """How many working days have ended since ``due`` (0 on the deadline's own evening)."""
    count, mark = 0, due
    while count < 366:
        mark = add_working_days(mark, 1, calendar, end)
        if mark > now:
            break
        count += 1
    return count


# --- which clocks an item's state calls for --------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    phase: str  # claim | reply | outcome
    anchor: int  # the item event that started the clock
    start: datetime
    days: int

    def prefix(self, item_id: int) -> str:
        return f"deadline:{item_id}:{self.phase}:{self.anchor}:"

    def key(self, item_id: int, step: int) -> str:
        return f"{self.prefix(item_id)}{step}"


def wanted(item, events: list, config: HandlerConfig) -> list[Deadline]:
    """The clocks running for the item now, from its status and its event history."""
    if item.status in item_store.WAITING:
        arrived = [e for e in events if e.status_to in item_store.WAITING]
        if not arrived:
            return []
        return [Deadline("claim", arrived[-1].id, arrived[-1].created_at, config.deadline_claim_days)]
    if item.status in item_store.HANDLING and item.outcome is None:
        claims = [e for e in events if e.kind == "claimed"]
        if not claims:
            return []
        claim = claims[-1]
        clocks = []
        if not any(e.id > claim.id and e.kind in ("asked", "replied") for e in events):
            clocks.append(Deadline("reply", claim.id, claim.created_at, config.deadline_reply_days))
        clocks.append(Deadline("outcome", claim.id, claim.created_at, config.deadline_outcome_days))
        return clocks
    return []


def step_due(start: datetime, days: int, step: int, calendar: WorkCalendar, end: time) -> datetime:
    """Step 1 at the deadline, each further step one working day later."""
    return add_working_days(start, days + step - 1, calendar, end)


async def current(conn, item_id: int, config: HandlerConfig) -> list[tuple[Deadline, datetime]]:
    """The item's running clocks with their deadlines (e.g. for a liaison's daily queue:
    overdue = deadline <= now)."""
    item = await item_store.by_id(conn, item_id)
    if item is None:
        return []
    calendar = await calendar_store.load(conn)
    end = end_of_day(config)
    return [(d, add_working_days(d.start, d.days, calendar, end))
            for d in wanted(item, await item_store.events(conn, item_id), config)]


async def next_nudge(conn, item_id: int) -> datetime | None:
    """When the item's next deadline nudge is due (None: no clock runs). The demo moves the
    clock just past it and calls ``scheduler.fire_due()`` to show a nudge."""
    pending = await timers.pending_with_prefix(conn, f"deadline:{item_id}:")
    return min((row.due_at for row in pending), default=None)


async def on_state_change(ctx: Ctx, item_id: int) -> None:
    """Cancel the timers of clocks that stopped, arm those of clocks that started."""
    item = await item_store.by_id(ctx.conn, item_id)
    if item is None:
        return
    clocks = wanted(item, await item_store.events(ctx.conn, item_id), ctx.config)
    keep = {d.prefix(item_id) for d in clocks}
    pending = await timers.pending_with_prefix(ctx.conn, f"deadline:{item_id}:")
    stale = {row.key.rsplit(":", 1)[0] + ":" for row in pending}
    for prefix in sorted(stale - keep):
        await timers.cancel(ctx.conn, prefix, ctx.now)
    if not clocks:
        return
    calendar = await calendar_store.load(ctx.conn)
    end = end_of_day(ctx.config)
    for clock in clocks:
        for step in STEPS:
            due = step_due(clock.start, clock.days, step, calendar, end)
            expires = step_due(clock.start, clock.days, step + 1, calendar, end) if step < STEPS[-1] else None
            await ctx.schedule(clock.key(item_id, step), KIND, due, expires_at=expires, payload={
                "item_id": item_id, "phase": clock.phase, "anchor": clock.anchor, "step": step,
                "start": clock.start.isoformat(), "days": clock.days})


async def retime(conn, config: HandlerConfig) -> int:
    """After the calendar changed: move pending nudges to their new working-day times.
    Returns how many moved."""
    calendar = await calendar_store.load(conn)
    end = end_of_day(config)
    moved = 0
    for row in await timers.pending_with_prefix(conn, "deadline:"):
        if row.kind != KIND:
            continue
        p = row.payload
        start = datetime.fromisoformat(p["start"])
        due = step_due(start, p["days"], p["step"], calendar, end)
        expires = step_due(start, p["days"], p["step"] + 1, calendar, end) if p["step"] < STEPS[-1] else None
        if (due, expires) != (row.due_at, row.expires_at):
            await timers.reschedule(conn, row.key, due, expires)
            moved += 1
    return moved


# --- the nudges --------------------------------------------------------------------------------

OPENING = {1: N_("⏰ A friendly reminder"),
           2: N_("⏰ A reminder for this group"),
           3: N_("⚠ For the city office: a report is overdue")}
HEADLINE = {"claim": N_("<b>{code}</b> is waiting to be claimed at {where}."),
            "reply": N_("<b>{code}</b> is waiting for a first reply or question to the member ({where})."),
            "outcome": N_("<b>{code}</b> is waiting for an outcome ({where}).")}
CLOSING = {1: N_("Please take it up when you can. Thank you!"),
           2: N_("Could a liaison of this group please take it up? Thank you."),
           3: N_("Its liaisons and their group have been reminded; please follow it up.")}


def _late(t, days: int) -> str:
    if days <= 0:
        return t("less than a working day")
    if days == 1:
        return t("1 working day")
    return t("{count} working days", count=days)


def nudge_text(lang: str, step: int, phase: str, code: str, where: str, due: datetime, late: int) -> str:
    t = translator(lang)
    shown = local(due).strftime("%Y-%m-%d %H:%M")
    return "\n".join([t(OPENING[step]), t(HEADLINE[phase], code=code, where=where),
                      t("Deadline: {due} · overdue by {late}.", due=shown, late=_late(t, late)),
                      t(CLOSING[step])])


async def _places(ctx: Ctx, item, phase: str) -> list:
    """(placement, target) where the clock runs: every current target of an unclaimed item,
    the claiming target of a claimed one."""
    out = []
    for placement in await item_store.placements(ctx.conn, item.id):
        if phase != "claim" and placement.target_id != item.claimed_target_id:
            continue
        out.append((placement, await target_store.by_id(ctx.conn, placement.target_id)))
    return out


def _where(places: list, lang: str) -> str:
    return "、".join(reference.name(target, lang) for _, target in places) or "—"


def _reachable(members: list, item) -> list:
    seen, out = set(), []
    for m in members:
        if m is None or m.id in seen or m.id == item.author_id or not m.telegram_user_id or not m.active:
            continue
        seen.add(m.id)
        out.append(m)
    return out


async def _nudge_owner(ctx: Ctx, item, phase: str, places: list, due: datetime, late: int) -> None:
    if phase == "claim":
        owners = []
        for _, target in places:
            if target.kind == "person" and target.member_id:
                owners.append(await people.by_id(ctx.conn, target.member_id))
            else:
                owners += await target_store.liaisons(ctx.conn, target.id)
    else:
        owners = [await people.by_id(ctx.conn, item.claimed_by)] if item.claimed_by else []
    for owner in _reachable(owners, item):
        lang = translator(owner.language).lang
        await ctx.send(owner.telegram_user_id,
                       nudge_text(lang, 1, phase, item.code, _where(places, lang), due, late), priority=outbox.BULK)


async def _nudge_group(ctx: Ctx, item, phase: str, places: list, due: datetime, late: int) -> None:
    lang = ctx.config.group_language
    for placement, target in places:
        if target.chat_id is None:
            continue
        await ctx.send(target.chat_id, nudge_text(lang, 2, phase, item.code, _where(places, lang), due, late),
                       thread_id=target.thread_id, reply_to={"$ref": placement.card_key},
                       is_group=target.kind != "person", priority=outbox.BULK)


async def _nudge_office(ctx: Ctx, item, phase: str, places: list, due: datetime, late: int) -> None:
    office = await target_store.office(ctx.conn)
    if office is not None and office.chat_id is not None and all(t.id != office.id for _, t in places):
        lang = ctx.config.group_language
        await ctx.send(office.chat_id, nudge_text(lang, 3, phase, item.code, _where(places, lang), due, late),
                       thread_id=office.thread_id, is_group=office.kind != "person", priority=outbox.BULK)
        return
    for admin in _reachable(await people.admins(ctx.conn), item):
        lang = translator(admin.language).lang
        await ctx.send(admin.telegram_user_id, nudge_text(lang, 3, phase, item.code, _where(places, lang), due, late),
                       priority=outbox.BULK)


_NUDGES = {1: _nudge_owner, 2: _nudge_group, 3: _nudge_office}


async def nudge(ctx: Ctx, timer) -> None:
    p = timer.payload
    item = await item_store.by_id(ctx.conn, p["item_id"])
    running = item is not None and any(
        d.phase == p["phase"] and d.anchor == p["anchor"]
        for d in wanted(item, await item_store.events(ctx.conn, item.id), ctx.config))
    if not running:  # cancelled in the same transaction as the change, so this is a safety net
        log.info("deadline nudge dropped: the item moved on", extra={"timer": timer.key})
        return
    calendar = await calendar_store.load(ctx.conn)
    end = end_of_day(ctx.config)
    due = add_working_days(datetime.fromisoformat(p["start"]), p["days"], calendar, end)
    late = working_days_overdue(due, ctx.now, calendar, end)
    places = await _places(ctx, item, p["phase"])
    await _NUDGES[p["step"]](ctx, item, p["phase"], places, due, late)


# --- the office edits the calendar (CLI and /holidays) ------------------------------------------

def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise AdminError("'{text}' is not a date; write it as YYYY-MM-DD, e.g. 2027-02-09", text=text) from None


async def set_day(conn, day: date, kind: str, name: str, now: datetime, config: HandlerConfig, *,
                  actor: str = "cli") -> int:
    """Make a date a holiday or a make-up workday; returns how many pending nudges moved."""
    if kind not in calendar_store.KINDS:
        raise AdminError("kind must be one of {kinds}, not '{kind}'",
                         kinds=", ".join(calendar_store.KINDS), kind=kind)
    name = (name or "").strip()
    if not name or len(name) > calendar_store.NAME_LIMIT:
        raise AdminError("give the day a name of 1 to {limit} characters, e.g. 春节",
                         limit=calendar_store.NAME_LIMIT)
    before = await calendar_store.get(conn, day)
    await calendar_store.put(conn, day, kind, name, "office", now)
    await audit.record(conn, actor, "holiday.set", {
        "day": day.isoformat(), "kind": kind, "name": name,
        "before": None if before is None else {"kind": before.kind, "name": before.name, "source": before.source}},
        now)
    return await retime(conn, config)


async def remove_day(conn, day: date, now: datetime, config: HandlerConfig, *, actor: str = "cli") -> int:
    """The date follows the weekday rule again (also after a re-seed); returns nudges moved."""
    before = await calendar_store.get(conn, day)
    if before is None or before.kind == "normal":
        raise AdminError("{day} is not in the holiday table", day=day)
    await calendar_store.put(conn, day, "normal", "", "office", now)
    await audit.record(conn, actor, "holiday.remove", {
        "day": day.isoformat(), "before": {"kind": before.kind, "name": before.name, "source": before.source}}, now)
    return await retime(conn, config)


def describe(row) -> str:
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[row.day.weekday()]
    what = {"holiday": "holiday", "workday": "make-up workday",
            "normal": "ordinary day (entry removed by the office)"}[row.kind]
    return f"{row.day.isoformat()} {weekday}  {what:<15} {row.name}  [{row.source}]".rstrip()


async def holidays_command(ctx: Ctx) -> None:
    """/holidays [YEAR] · /holidays add DATE holiday|workday NAME · /holidays remove DATE
    (office admins)."""
    t = ctx.t
    if ctx.member.role != "admin":
        await ctx.reply(t("This command is for the city office."))
        return
    words = ctx.event.command_args.split()
    usage = t("Usage: /holidays [YEAR] · /holidays add YYYY-MM-DD holiday|workday NAME · "
              "/holidays remove YYYY-MM-DD")
    if words and words[0] in ("add", "remove"):
        shape_ok = (len(words) >= 4 and words[2] in calendar_store.KINDS) if words[0] == "add" else len(words) == 2
        if not shape_ok:
            await ctx.reply(usage)
            return
        try:
            day = parse_day(words[1])
        except AdminError:
            await ctx.reply(t("{text} is not a date; write it as YYYY-MM-DD.", text=words[1]) + "\n" + usage)
            return
        actor = f"member:{ctx.member.id}"
        if words[0] == "add":
            name = " ".join(words[3:])[:calendar_store.NAME_LIMIT]
            moved = await set_day(ctx.conn, day, words[2], name, ctx.now, ctx.config, actor=actor)
            await ctx.reply(t("Saved: {day} is now a {kind} ({name}). Deadline reminders re-timed: {count}.",
                              day=day.isoformat(), kind=t(KIND_LABELS[words[2]]), name=name, count=moved))
            return
        before = await calendar_store.get(ctx.conn, day)
        if before is None or before.kind == "normal":
            await ctx.reply(t("{day} is not in the holiday table.", day=day.isoformat()))
            return
        moved = await remove_day(ctx.conn, day, ctx.now, ctx.config, actor=actor)
        await ctx.reply(t("Removed: {day} follows the weekday rule again. Deadline reminders re-timed: {count}.",
                          day=day.isoformat(), count=moved))
        return
    if len(words) > 1 or (words and not (words[0].isdigit() and 2000 <= int(words[0]) <= 2100)):
        await ctx.reply(usage)
        return
    year = int(words[0]) if words else local(ctx.now).year
    rows = [r for r in await calendar_store.days(ctx.conn, year) if r.kind != "normal"]
    if not rows:
        await ctx.reply(t("No holidays or make-up workdays are entered for {year}: only weekends are off.",
                          year=year))
        return
    lines = [t("Holidays and make-up workdays in {year}:", year=year)]
    lines += [f"{r.day.strftime('%m-%d')} {t(KIND_LABELS[r.kind])} · {html.escape(r.name)}" for r in rows]
    await ctx.reply("\n".join(lines))


KIND_LABELS = {"holiday": N_("holiday"), "workday": N_("make-up workday")}
