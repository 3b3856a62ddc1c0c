"""A member's answers: RSVP (attend or excused, with a reason), the waiting list, and check-in.

- Capacity: "attend" beyond it puts the member on the waiting list and tells their position;
  when an attendee turns to "excused" the first on the list is promoted and told. Answers may
  change until the start.
- Check-in: ``/checkin CODE`` (or the 📍 button, which asks for the code) from 15 minutes
  before the start until the end; once per member; the code of another session is refused.
  Ten wrong codes within an hour make ``/checkin`` wait, so a code cannot be found by trying.
  The code itself is only shown at the session (``linkage study code ID``, ``/study``).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from handlers.core import audience, flows
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from handlers.study.cards import card
from handlers.study.plans import press_studied
from handlers.study.terms import BUTTON
from handlers.study.times import checkin_opens
from handlers.core.localtime import show_span, shown
from storage import conversations, people
from storage import study as store

log = logging.getLogger("linkage.study")

REASON_LIMIT = 300
CODE_TRIES = 5  # wrong codes in one check-in conversation before it ends
WRONG_CODES_PER_HOUR = 10  # then /checkin waits: a six-digit code must not be guessable by trying


async def on_button(ctx: Ctx, fields: dict) -> None:
    """st:a:ID attend · st:e:ID excused · st:c:ID check in · st:p:PLAN:DAY studied today."""
    action, target, day = fields["action"], fields["id"], fields["day"]
    if action == "p" and day is not None:
        await press_studied(ctx, target, day)
    elif action != "p" and day is None:
        await {"a": _attend, "e": _excuse_button, "c": _checkin_button}[action](ctx, target)
    else:
        await ctx.answer(ctx.t.plain(BUTTON.refusal), alert=True)


async def _refuse(ctx: Ctx, msgid: str, **values) -> None:
    """Say no: as the answer to a pressed button (an alert), or as a message."""
    if ctx.event.kind == "callback":
        await ctx.answer(ctx.t.plain(msgid, **values), alert=True)
    else:
        await ctx.reply(ctx.t(msgid, **values))


async def _invitation(ctx: Ctx, s):
    """The member's RSVP row for the session, made if they match its audience; None if the
    session is not for them."""
    row = await store.rsvp(ctx.conn, s.id, ctx.member.id)
    if row is None and audience.addresses(s.audience, ctx.member):
        row = await store.ensure_rsvp(ctx.conn, s.id, ctx.member.id, ctx.now)
    return row


async def _open_for_answers(ctx: Ctx, session_id: int):
    """The session and the member's RSVP if answers may still change; otherwise says why."""
    s = await store.session(ctx.conn, session_id, lock=True)
    if s is None or s.status == "draft":
        await _refuse(ctx, N_("This button is not valid."))
        return None
    if s.status == "cancelled":
        await _refuse(ctx, N_("This session was cancelled."))
        return None
    if ctx.now >= s.ends_at:
        await _refuse(ctx, N_("This session is over."))
        return None
    if ctx.now >= s.starts_at:
        await _refuse(ctx, N_("The session has begun: answers can no longer be changed."))
        return None
    r = await _invitation(ctx, s)
    if r is None:
        await _refuse(ctx, N_("This session is not one you were invited to."))
        return None
    return s, r


async def _show_card(ctx: Ctx, s, message_id) -> None:
    r = await store.rsvp(ctx.conn, s.id, ctx.member.id)
    text, buttons = await card(ctx, ctx.t, s, r)
    await ctx.edit(ctx.event.chat_id, message_id, text, buttons=buttons)


async def _attend(ctx: Ctx, session_id: int) -> None:
    found = await _open_for_answers(ctx, session_id)
    if found is None:
        return
    s, r = found
    t = ctx.t
    if r.status == "attending":
        await ctx.answer(t.plain("You are already registered."))
        return
    if r.status == "waiting":
        position = await store.waiting_position(ctx.conn, s.id, r.member_id)
        await ctx.answer(t.plain("You are already on the waiting list (number {position}).", position=position),
                         alert=True)
        return
    if s.capacity is not None and await store.attending_count(ctx.conn, s.id) >= s.capacity:
        await store.change_rsvp(ctx.conn, s.id, r.member_id, ctx.now, status="waiting", reason=None,
                                queue_no=await store.next_queue_no(ctx.conn, s.id), answered_at=ctx.now)
        position = await store.waiting_position(ctx.conn, s.id, r.member_id)
        await ctx.answer(t.plain("The session is full. You are number {position} on the waiting list; "
                                 "I will tell you if a place opens.", position=position), alert=True)
    else:
        await store.change_rsvp(ctx.conn, s.id, r.member_id, ctx.now, status="attending", reason=None,
                                queue_no=None, answered_at=ctx.now)
        await ctx.answer(t.plain("✅ Registered. See you there!"))
    await _show_card(ctx, s, ctx.event.message_id)


async def _excuse_button(ctx: Ctx, session_id: int) -> None:
    found = await _open_for_answers(ctx, session_id)
    if found is None:
        return
    s, r = found
    if r.status == "excused":
        await ctx.answer(ctx.t.plain("You are already excused."))
        return
    await flows.suspend_into(ctx, "study_excuse", "reason", {"session": s.id, "message": ctx.event.message_id})
    await ctx.answer()
    await ctx.reply(ctx.t("Please type a short reason for your absence from <b>{title}</b> "
                          "(/cancel keeps your current answer).", title=s.title))


async def on_excuse_text(ctx: Ctx, conv) -> None:
    reason = await flows.text_input(ctx)
    if reason is None:
        return
    if len(reason) > REASON_LIMIT:
        await ctx.reply(ctx.t("Please keep the reason under {limit} characters.", limit=REASON_LIMIT))
        return
    found = await _open_for_answers(ctx, conv.data["session"])
    if found is None:
        await flows.resume(ctx, conv)
        return
    s, r = found
    was = r.status
    await store.change_rsvp(ctx.conn, s.id, r.member_id, ctx.now, status="excused", reason=reason,
                            queue_no=None, answered_at=ctx.now)
    if was == "attending":
        await _promote(ctx, s)
    await ctx.reply(ctx.t("🙏 Noted: you are excused from <b>{title}</b>.", title=s.title))
    if conv.data.get("message"):
        await _show_card(ctx, s, conv.data["message"])
    await flows.resume(ctx, conv)


async def _promote(ctx: Ctx, s) -> None:
    """Fill free places from the waiting list, first in line first, and tell those promoted."""
    if s.capacity is None:
        return
    while await store.attending_count(ctx.conn, s.id) < s.capacity:
        line = await store.waiting_list(ctx.conn, s.id)
        if not line:
            return
        first = line[0]
        await store.change_rsvp(ctx.conn, s.id, first.member_id, ctx.now, status="attending", queue_no=None)
        member = await people.by_id(ctx.conn, first.member_id)
        log.info("study waiting list promotion", extra={"session": s.id, "member": member.id})
        if not member.active or not member.reachable or member.telegram_user_id is None:
            continue
        t = translator(member.language)
        await ctx.send(member.telegram_user_id, t("🎉 A place has opened: you are now registered for <b>{title}</b> "
                                                  "({time}).", title=s.title, time=show_span(s.starts_at, s.ends_at)))
        if first.card_key:
            text, buttons = await card(ctx, t, s, await store.rsvp(ctx.conn, s.id, member.id))
            await ctx.edit(member.telegram_user_id, {"$ref": first.card_key}, text, buttons=buttons)


async def _checkin_button(ctx: Ctx, session_id: int) -> None:
    s = await store.session(ctx.conn, session_id)
    if s is None or s.status == "draft":
        await _refuse(ctx, N_("This button is not valid."))
        return
    if await _checkin_refused(ctx, s):
        return
    await flows.suspend_into(ctx, "study_checkin", "code", {"session": s.id, "tries": 0})
    await ctx.answer()
    await ctx.reply(ctx.t("Type the check-in code shown at <b>{title}</b>.", title=s.title))


async def _checkin_refused(ctx: Ctx, s) -> bool:
    """Why this member cannot check in to this session now (said to them), or False."""
    if s.status == "cancelled":
        await _refuse(ctx, N_("This session was cancelled."))
        return True
    r = await _invitation(ctx, s)
    if r is None:
        await _refuse(ctx, N_("You were not invited to {title}, so you cannot check in to it."), title=s.title)
        return True
    if ctx.now < checkin_opens(s, ctx.config):
        await _refuse(ctx, N_("Check-in for {title} opens at {time}."), title=s.title,
                      time=shown(checkin_opens(s, ctx.config)))
        return True
    if ctx.now > s.ends_at:
        await _refuse(ctx, N_("Check-in for {title} closed at {time}, when the session ended."), title=s.title,
                      time=shown(s.ends_at))
        return True
    if r.checked_in_at is not None:
        await _refuse(ctx, N_("You already checked in to {title} at {time}."), title=s.title,
                      time=shown(r.checked_in_at))
        return True
    return False


async def checkin(ctx: Ctx, code: str, expected: int | None = None) -> str:
    """Record attendance by code: 'done', 'wrong' (no such code, or not the expected session's),
    or 'refused' (not invited, outside the window, already checked in) — each told to the member.
    A code no session has is offered to the features' ``check_in`` hooks ('done' when one answered)."""
    wrong = await store.wrong_codes_since(ctx.conn, ctx.member.id, ctx.now - timedelta(hours=1))
    if len(wrong) >= WRONG_CODES_PER_HOUR:
        await ctx.reply(ctx.t("Too many wrong check-in codes. Please ask the organisers for the code; you can try "
                              "again after {time}.", time=shown(wrong[-WRONG_CODES_PER_HOUR] + timedelta(hours=1))))
        return "refused"
    code = re.sub(r"\s+", "", code or "")[:12]
    s = await store.by_code(ctx.conn, code) if code.isdigit() else None
    if s is not None and s.status == "draft":
        s = None
    if s is None and expected is None:  # not a session's code: perhaps another feature's (a meeting's venue)
        for hook in ctx.features.check_in:
            if await hook(ctx, code):
                return "done"
    if s is None or (expected is not None and s.id != expected):
        await store.record_wrong_code(ctx.conn, ctx.member.id, ctx.now)
    if expected is not None and (s is None or s.id != expected):
        wanted = await store.session(ctx.conn, expected)
        await ctx.reply(ctx.t("That is not the check-in code of <b>{title}</b>. Please check it and send it again, "
                              "or /cancel.", title=wanted.title))
        return "wrong"
    if s is None:
        await ctx.reply(ctx.t("This check-in code is not valid. Please check it and try again."))
        return "wrong"
    if await _checkin_refused(ctx, s):
        return "refused"
    await store.change_rsvp(ctx.conn, s.id, ctx.member.id, ctx.now, checked_in_at=ctx.now)
    log.info("study check-in", extra={"session": s.id, "member": ctx.member.id})
    await ctx.reply(ctx.t("✅ Checked in to <b>{title}</b>. Thank you!", title=s.title))
    return "done"


async def cmd_checkin(ctx: Ctx) -> None:
    code = ctx.event.command_args.strip()
    if code:
        await checkin(ctx, code)
        return
    await flows.suspend_into(ctx, "study_checkin", "code", {"session": None, "tries": 0})
    await ctx.reply(ctx.t("Type the check-in code shown at the session (/cancel to stop)."))


async def on_checkin_text(ctx: Ctx, conv) -> None:
    code = await flows.text_input(ctx)
    if code is None:
        return
    outcome = await checkin(ctx, code, conv.data.get("session"))
    tries = conv.data.get("tries", 0) + 1
    if outcome == "wrong" and tries < CODE_TRIES:
        conv.data["tries"] = tries
        await conversations.save(ctx.conn, conv, ctx.now)
        return
    if outcome == "wrong":
        await ctx.reply(ctx.t("Too many wrong codes. Please ask the organisers for the code and send /checkin again."))
    await flows.resume(ctx, conv)
