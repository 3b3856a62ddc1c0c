"""Reading plans: one timer per day ``study:plan:{id}:day:{n}`` at the plan's time (default
08:30) expiring at midnight, carrying the day's assignment and a "✅ Studied today" button;
one check-in per member per day, on that day."""

from __future__ import annotations

import re
from datetime import date, timedelta

from handlers.core import audience
from handlers.core.context import Ctx
from handlers.core.i18n import Html, Translator, translator
from handlers.core.localtime import local_at, local_day, parse_clock, parse_date
from handlers.study.cards import day_kinds, plan_day_message
from handlers.study.terms import DAY_KIND_ALIASES, DAY_KINDS, StudyError, parse_audience
from storage import audit, outbox, people, timers
from storage import study as store


def parse_days(spec: str | list) -> list[tuple[str, str]]:
    """'self-study:读…;lecture:…;self-study+lecture:…;discussion:…' → [(kinds, assignment)]."""
    entries = spec if isinstance(spec, list) else [e for e in re.split(r"[;\n；]", spec) if e.strip()]
    days: list[tuple[str, str]] = []
    for entry in entries:
        if isinstance(entry, tuple):
            kinds_text, assignment = entry
        else:
            match = re.match(r"\s*([^:：]+)[:：](.*)$", entry, re.S)
            if not match:
                raise StudyError("day {day}: write kind:assignment, e.g. self-study:读《……》第一章", field="days",
                                 day=len(days) + 1)
            kinds_text, assignment = match[1], match[2]
        kinds = []
        for part in re.split(r"[+＋,]", kinds_text.strip()):
            name = DAY_KIND_ALIASES.get(part.strip().lower(), part.strip().lower())
            if name not in DAY_KINDS:
                raise StudyError("day {day}: kind {kind!r} must be one of {day_kinds} (several joined by "
                                 "+)", field="days", day=len(days) + 1, kind=part.strip(),
                                 day_kinds=", ".join(DAY_KINDS))
            kinds.append(name)
        assignment = " ".join(assignment.split())
        if not assignment:
            raise StudyError("day {day}: say what to do, e.g. self-study:读《……》第一章", field="days",
                             day=len(days) + 1)
        days.append(("+".join(kinds), assignment))
    if not days:
        raise StudyError("a plan needs at least one day", field="days")
    if len(days) > 60:
        raise StudyError("a plan has at most 60 days", field="days")
    return days


async def add_plan(ctx: Ctx, *, title: str, start_date: str | date, days, audience_spec="all",
                   remind_at: str | None = None, actor: str = "cli") -> int:
    """A reading plan: one day after another from ``start_date``, a reminder each day at
    ``remind_at`` (Asia/Shanghai) with the day's assignment and a check-in button. The audience
    is told now. Returns the plan's id."""
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise StudyError("a title is needed (at most 200 characters)", field="title")
    first = parse_date(start_date, field="start")
    if first < local_day(ctx.now):
        raise StudyError("the plan would begin in the past ({first}); today is {today} in Asia/Shanghai",
                         field="start", first=first, today=local_day(ctx.now))
    clock = parse_clock(remind_at or ctx.config.study_plan_remind_at, field="remind_at")
    spec = parse_audience(audience_spec)
    parsed = parse_days(days)
    plan_id = await store.create_plan(
        ctx.conn, [{"day_no": n, "on_date": first + timedelta(days=n - 1), "kinds": kinds, "assignment": text}
                   for n, (kinds, text) in enumerate(parsed, start=1)],
        title=title, start_date=first, remind_at=clock, audience=spec, status="active", created_by=actor,
        created_at=ctx.now)
    for day in await store.plan_days(ctx.conn, plan_id):
        await ctx.schedule(f"study:plan:{plan_id}:day:{day.day_no}", "study.plan_day", local_at(day.on_date, clock),
                           payload={"plan": plan_id, "day": day.day_no},
                           expires_at=local_at(day.on_date + timedelta(days=1), "00:00"))
    p = await store.plan(ctx.conn, plan_id)
    told = 0
    for member in await people.in_audience(ctx.conn, spec):
        if not member.reachable:
            continue
        await ctx.send(member.telegram_user_id, await _plan_intro(ctx, translator(member.language), p),
                       priority=outbox.BULK)
        told += 1
    await audit.record(ctx.conn, actor, "study.plan_add", {"plan": plan_id, "days": len(parsed), "told": told},
                       ctx.now)
    return plan_id


async def _plan_intro(ctx: Ctx, t: Translator, p) -> str:
    days = await store.plan_days(ctx.conn, p.id)
    lines = ["📚 " + t("New reading plan: <b>{title}</b>, {first} – {last}.", title=p.title,
                       first=days[0].on_date.isoformat(), last=days[-1].on_date.isoformat()),
             t("Every day at {time} I will send the day's assignment; press “✅ Studied today” once you have "
               "done it.", time=p.remind_at), ""]
    for d in days:
        lines.append(t("Day {n} ({date}, {kinds}): {assignment}", n=d.day_no, date=d.on_date.isoformat(),
                       kinds=Html(day_kinds(t, d.kinds)), assignment=d.assignment))
    return "\n".join(lines)


async def member_plan_days(ctx: Ctx) -> list:
    """Active plans for the member: (plan, today's day or None if it begins later, days, check-in)."""
    found = []
    now_date = local_day(ctx.now)
    for p in await store.plans(ctx.conn, statuses=("active",)):
        if not audience.addresses(p.audience, ctx.member):
            continue
        days = await store.plan_days(ctx.conn, p.id)
        if days[-1].on_date < now_date:
            continue
        day = next((d for d in days if d.on_date == now_date), None)
        if day is None and days[0].on_date < now_date:
            continue
        done = await store.plan_checkin(ctx.conn, p.id, day.day_no, ctx.member.id) if day else None
        found.append((p, day, len(days), done))
    return found


async def press_studied(ctx: Ctx, plan_id: int, day_no: int) -> None:
    """The member's "✅ Studied today": recorded once, on that day only."""
    t = ctx.t
    p = await store.plan(ctx.conn, plan_id)
    d = await store.plan_day(ctx.conn, plan_id, day_no) if p is not None else None
    if d is None:
        await ctx.answer(t.plain("This button is not valid."), alert=True)
        return
    if p.status != "active":
        await ctx.answer(t.plain("This reading plan was cancelled."), alert=True)
        return
    if not audience.addresses(p.audience, ctx.member):
        await ctx.answer(t.plain("This reading plan is not for you."), alert=True)
        return
    if d.on_date > local_day(ctx.now):
        await ctx.answer(t.plain("Day {n} has not begun yet.", n=d.day_no), alert=True)
        return
    if d.on_date < local_day(ctx.now):
        await ctx.answer(t.plain("Day {n} is over: the check-in is for that day only.", n=d.day_no), alert=True)
        return
    if not await store.add_plan_checkin(ctx.conn, p.id, d.day_no, ctx.member.id, ctx.now):
        await ctx.answer(t.plain("You already checked in for today."))
        return
    await ctx.answer(t.plain("✅ Recorded. Well done!"))
    total = len(await store.plan_days(ctx.conn, p.id))
    done = await store.plan_checkin(ctx.conn, p.id, d.day_no, ctx.member.id)
    text, buttons = plan_day_message(t, p, d, total, done)
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)


async def cancel_plan(ctx: Ctx, plan_id: int, *, actor: str = "cli") -> int:
    """Stop a plan's daily reminders; returns how many were dropped."""
    p = await store.plan(ctx.conn, plan_id)
    if p is None:
        raise StudyError("there is no plan #{plan_id} (see: linkage study plan list)", plan_id=plan_id)
    if p.status == "cancelled":
        raise StudyError("plan #{plan_id} is already cancelled", plan_id=plan_id)
    await store.change_plan(ctx.conn, plan_id, status="cancelled")
    dropped = await timers.cancel(ctx.conn, f"study:plan:{plan_id}:", ctx.now)
    await audit.record(ctx.conn, actor, "study.plan_cancel", {"plan": plan_id}, ctx.now)
    return dropped
