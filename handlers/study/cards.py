"""What a member sees: a session's card (details, places, their answer, the buttons they may
press) and a reading plan's day."""

from __future__ import annotations

import html

from handlers.core.context import Buttons, Ctx
from handlers.core.i18n import Html, Translator
from handlers.core.localtime import local, show_span, shown
from handlers.study.terms import BUTTON, DAY_KINDS, KINDS, STATE_LABELS
from handlers.study.times import in_checkin_window
from storage import study as store


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def _details(t: Translator, s) -> list[str]:
    lines = [f"📚 <b>{esc(s.title)}</b> · {t(KINDS[s.kind])}",
             t("🕒 Time: {time}", time=show_span(s.starts_at, s.ends_at))]
    if s.place:
        lines.append(t("📍 Place: {place}", place=s.place))
    if s.link:
        lines.append(t("🔗 Online: {link}", link=s.link))
    return lines


async def _state_line(ctx: Ctx, t: Translator, s, r) -> str:
    status = r.status if r is not None else "invited"
    label = t(STATE_LABELS[status])
    if status == "waiting":
        position = await store.waiting_position(ctx.conn, s.id, r.member_id)
        label = t("on the waiting list (number {position})", position=position)
    line = t("Your answer: {state}", state=Html(label))
    if status == "excused" and r.reason:
        line += "\n" + t("Reason: {reason}", reason=r.reason)
    if r is not None and r.checked_in_at is not None:
        line += "\n" + t("✅ Checked in at {time}", time=shown(r.checked_in_at))
    return line


async def card(ctx: Ctx, t: Translator, s, r) -> tuple[str, Buttons]:
    """A session as a member sees it: details, places, their answer, the buttons they may press."""
    lines = _details(t, s)
    if s.capacity:
        taken = await store.attending_count(ctx.conn, s.id)
        lines.append(t("👥 Places: {capacity}, {free} left", capacity=s.capacity, free=max(s.capacity - taken, 0)))
    if s.status == "cancelled":
        lines.append(t("❌ This session was cancelled."))
        return "\n".join(lines), []
    lines.append("")
    lines.append(await _state_line(ctx, t, s, r))
    buttons: Buttons = []
    if ctx.now < s.starts_at:
        buttons.append([(t.plain("✅ I will attend"), BUTTON.pack("a", s.id)),
                        (t.plain("🙏 Excused"), BUTTON.pack("e", s.id))])
    if in_checkin_window(s, ctx.now, ctx.config) and (r is None or r.checked_in_at is None):
        buttons.append([(t.plain("📍 Check in"), BUTTON.pack("c", s.id))])
    return "\n".join(lines), buttons


def day_kinds(t: Translator, kinds: str) -> str:
    return " + ".join(t(DAY_KINDS[k]) for k in kinds.split("+") if k in DAY_KINDS)


def plan_day_message(t: Translator, p, d, total: int, done) -> tuple[str, Buttons]:
    """A reading plan's day: the assignment, and the "studied today" button until it is pressed."""
    text = "📖 " + t("<b>{title}</b> — day {n} of {total} ({kinds})", title=p.title, n=d.day_no, total=total,
                     kinds=Html(day_kinds(t, d.kinds))) + "\n" + t("Today: {assignment}", assignment=d.assignment)
    if done is not None:
        recorded = local(done.checked_at).strftime("%H:%M")
        return text + "\n" + t("✅ Studied today (recorded at {time})", time=recorded), []
    return text, [[(t.plain("✅ Studied today"), BUTTON.pack("p", p.id, d.day_no))]]
