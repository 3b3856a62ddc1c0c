"""The ``study.*`` timers: reminders, check-in opening, materials after the session, and a
reading plan's day. A timer of a session that was cancelled or moved since does nothing.

Reminders go to members who are attending and to those who have not answered (with the RSVP
buttons), not to the excused nor to the waiting list.
"""

from __future__ import annotations

import logging

from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.study.cards import card, plan_day_message
from handlers.study.sessions import push_materials
from handlers.study.terms import BUTTON
from handlers.core.localtime import shown
from storage import outbox, people
from storage import study as store

log = logging.getLogger("linkage.study")


async def _current(ctx: Ctx, timer):
    """The session a timer is about, if the timer still applies to it (not cancelled, not moved)."""
    s = await store.session(ctx.conn, timer.payload["session"])
    if s is None or s.status != "announced" or s.revision != timer.payload.get("revision", 0):
        log.info("study timer no longer applies", extra={"timer": timer.key})
        return None
    return s


async def remind(ctx: Ctx, timer) -> None:
    s = await _current(ctx, timer)
    if s is None:
        return
    for member in await people.in_audience(ctx.conn, s.audience):  # members who joined since
        await store.ensure_rsvp(ctx.conn, s.id, member.id, ctx.now)
    sent = 0
    for r in await store.rsvps(ctx.conn, s.id):
        if r.status not in ("attending", "invited") or not r.active or not r.reachable or r.telegram_user_id is None:
            continue
        t = translator(r.language)
        text, buttons = await card(ctx, t, s, r)
        head = t("⏰ Reminder: <b>{title}</b> starts at {time}.", title=s.title, time=shown(s.starts_at))
        await ctx.send(r.telegram_user_id, head + "\n\n" + text, buttons=buttons, priority=outbox.BULK)
        sent += 1
    log.info("study reminder sent", extra={"session": s.id, "minutes": timer.payload["minutes"], "recipients": sent})


async def open_checkin(ctx: Ctx, timer) -> None:
    """Check-in opens: those attending get the 📍 button (the code itself is only shown at the session)."""
    s = await _current(ctx, timer)
    if s is None:
        return
    for r in await store.rsvps(ctx.conn, s.id):
        if r.status != "attending" or r.checked_in_at is not None or not r.active or not r.reachable \
                or r.telegram_user_id is None:
            continue
        t = translator(r.language)
        await ctx.send(r.telegram_user_id, t("📍 Check-in for <b>{title}</b> is open until {time}: send /checkin with "
                                             "the code shown at the session, or press the button.",
                                             title=s.title, time=shown(s.ends_at)),
                       buttons=[[(t.plain("📍 Check in"), BUTTON.pack("c", s.id))]], priority=outbox.BULK)


async def send_materials(ctx: Ctx, timer) -> None:
    s = await _current(ctx, timer)
    if s is not None and s.materials and s.materials_sent_at is None:
        await push_materials(ctx, s)


async def plan_day_job(ctx: Ctx, timer) -> None:
    p = await store.plan(ctx.conn, timer.payload["plan"])
    if p is None or p.status != "active":
        log.info("study timer no longer applies", extra={"timer": timer.key})
        return
    d = await store.plan_day(ctx.conn, p.id, timer.payload["day"])
    total = len(await store.plan_days(ctx.conn, p.id))
    sent = 0
    for member in await people.in_audience(ctx.conn, p.audience):
        if not member.reachable:
            continue
        done = await store.plan_checkin(ctx.conn, p.id, d.day_no, member.id)
        text, buttons = plan_day_message(translator(member.language), p, d, total, done)
        await ctx.send(member.telegram_user_id, text, buttons=buttons, priority=outbox.BULK)
        sent += 1
    log.info("study plan reminder sent", extra={"plan": p.id, "day": d.day_no, "recipients": sent})
