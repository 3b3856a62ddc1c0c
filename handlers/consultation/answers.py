"""A member's presses on the invitation card — which venue (or online, or cannot attend; changed
freely until the start), 签到, and the entries to a written statement, a speaking request and a
live comment — check-in by a venue's code through the study's ``/checkin`` (the ``check_in``
hook), and ``/consultations``: the member's upcoming meetings as cards, and for organisers the
counts of their meetings."""

from __future__ import annotations

import html
import logging
import re

from handlers.consultation import live, statements
from handlers.consultation.cards import answer_text, card, invitation, invited_meeting, may_organise, refuse, venue_name
from handlers.consultation.meetings import summary
from handlers.consultation.terms import is_on
from handlers.core.context import Ctx
from handlers.core.i18n import N_
from handlers.core.localtime import shown
from storage import consultation as store

log = logging.getLogger("linkage.consultation")
LISTED = 5


async def redraw(ctx: Ctx, m, chat_id: int, message_id) -> None:
    r = await store.rsvp(ctx.conn, m.id, ctx.member.id)
    text, buttons = await card(ctx, ctx.t, m, r, ctx.member.id)
    await ctx.edit(chat_id, message_id, text, buttons=buttons)


async def on_card(ctx: Ctx, fields: dict) -> None:
    """kx:v:ID:VENUE · kx:o:ID · kx:n:ID answer · kx:c:ID check in · kx:s / w / m:ID statement,
    request to speak, live comment."""
    action, venue_id = fields["action"], fields["venue"]
    if (action == "v") != (venue_id is not None):
        await refuse(ctx, N_("This button is not valid."))
        return
    found = await invited_meeting(ctx, fields["id"])
    if found is None:
        return
    m, r = found
    if action in ("v", "o", "n"):
        await _answer(ctx, m, r, action, venue_id)
    elif action == "c":
        await _checkin_button(ctx, m, r)
    elif action == "s":
        await statements.start(ctx, m)
    elif action == "w":
        await statements.start_request(ctx, m)
    else:
        await live.start(ctx, m)


async def _answer(ctx: Ctx, m, r, action: str, venue_id: int | None) -> None:
    if ctx.now >= m.starts_at:
        await refuse(ctx, N_("The meeting has begun: answers can no longer be changed."))
        return
    venues = await store.venues(ctx.conn, m.id)
    if action == "v" and all(v.id != venue_id for v in venues):
        await refuse(ctx, N_("This button is not valid."))
        return
    answer = {"v": "venue", "o": "online", "n": "absent"}[action]
    await store.change_rsvp(ctx.conn, m.id, ctx.member.id, ctx.now, answer=answer,
                            venue_id=venue_id if answer == "venue" else None, answered_at=ctx.now)
    r = await store.rsvp(ctx.conn, m.id, ctx.member.id)
    await ctx.answer(ctx.t.plain("Recorded: {answer}.", answer=html.unescape(answer_text(ctx.t, r, venues))))
    await redraw(ctx, m, ctx.event.chat_id, ctx.event.message_id)


async def _checkin_refused(ctx: Ctx, m) -> bool:
    if not is_on(m, ctx.now):
        if ctx.now < m.starts_at:
            await refuse(ctx, N_("Check-in for {title} opens 30 minutes before the start ({time})."), title=m.title,
                         time=shown(m.starts_at))
        else:
            await refuse(ctx, N_("Check-in for {title} closed at {time}, when the meeting ended."), title=m.title,
                         time=shown(m.ends_at))
        return True
    done = await store.checkin(ctx.conn, m.id, ctx.member.id)
    if done is not None:
        await refuse(ctx, N_("You already checked in to {title} at {time}."), title=m.title, time=shown(done.at))
        return True
    return False


async def _checkin_button(ctx: Ctx, m, r) -> None:
    """签到 on the card: at the venue the member chose (online otherwise)."""
    if await _checkin_refused(ctx, m):
        return
    venue_id = r.venue_id if r.answer == "venue" else None
    await store.add_checkin(ctx.conn, m.id, ctx.member.id, venue_id, ctx.now)
    log.info("consultation check-in", extra={"consultation": m.id, "member": ctx.member.id})
    await ctx.answer(ctx.t.plain("✅ Checked in. Thank you!"))
    await redraw(ctx, m, ctx.event.chat_id, ctx.event.message_id)


async def check_in(ctx: Ctx, code: str) -> bool:
    """The ``check_in`` hook of ``/checkin CODE``: True when CODE is one of a venue's (answered)."""
    code = re.sub(r"\s+", "", code or "")
    venue = await store.venue_by_code(ctx.conn, code) if code.isdigit() else None
    m = venue and await store.meeting(ctx.conn, venue.consultation_id)
    if m is None or m.status != "announced":
        return False
    if await invitation(ctx, m) is None:
        await ctx.reply(ctx.t("You were not invited to {title}, so you cannot check in to it.", title=m.title))
        return True
    if await _checkin_refused(ctx, m):
        return True
    await store.add_checkin(ctx.conn, m.id, ctx.member.id, venue.id, ctx.now)
    log.info("consultation check-in", extra={"consultation": m.id, "member": ctx.member.id})
    await ctx.reply(ctx.t("✅ Checked in to <b>{title}</b> at {venue}. Thank you!", title=m.title,
                          venue=venue_name(ctx.t, venue)))
    return True


async def cmd_consultations(ctx: Ctx) -> None:
    """/consultations: the member's upcoming meetings as cards; an organiser's own with their counts."""
    t = ctx.t
    upcoming = await store.meetings(ctx.conn, ending_after=ctx.now, announced_only=True)
    mine = [(m, r) for m in upcoming if (r := await invitation(ctx, m)) is not None]
    if not mine:
        await ctx.reply(t("No upcoming consultation meetings for you."))
    else:
        await ctx.reply(t("Your upcoming consultation meetings (专题协商会):"))
    for m, r in mine[:LISTED]:
        text, buttons = await card(ctx, t, m, r, ctx.member.id)
        await ctx.reply(text, buttons=buttons)
    organised = [m for m in await store.meetings(ctx.conn, ending_after=ctx.now)
                 if may_organise(ctx, m)]
    for m in organised[:LISTED]:
        await ctx.reply(await _counts(ctx, m))


async def _counts(ctx: Ctx, m) -> str:
    t = ctx.t
    info = await summary(ctx.conn, m.id)
    answers = info["answers"]
    venues = ", ".join(f"{venue_name(t, v)} {answers['by_venue'][v.id]}" for v in info["venues"]) or "—"
    by_status = {s: sum(1 for x in info["statements"] if x.status == s) for s in ("submitted", "accepted", "returned")}
    return "\n".join([
        t("📊 <b>{title}</b> (#{id})", title=m.title, id=m.id),
        t("Invited {invited}: at the venues {venues}; online {online}; cannot attend {absent}; not answered {open}",
          invited=info["invited"], venues=venues, online=answers["online"], absent=answers["absent"],
          open=answers["invited"]),
        t("Checked in {checked}; statements: submitted {submitted}, accepted {accepted}, returned {returned}; "
          "requests to speak {requests}; live comments {comments}",
          checked=info["checked_in"], requests=len(info["requests"]), comments=info["comments"], **by_status)])
