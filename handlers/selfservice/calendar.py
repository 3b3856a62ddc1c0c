"""``/calendar``: everything coming up for the member in the next 30 days, in time order — each
feature's ``Feature.calendar`` entries (study sessions with my answer, reading-plan days,
consultation meetings and their statements' deadlines, deliberation topics closing or opening),
a page at a time with ◀ ▶ buttons that redraw the message in place."""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.i18n import N_

log = logging.getLogger("linkage.calendar")

DAYS = 30  # the window /calendar shows
PAGE_SIZE = 10  # entries a page
PAGE = ButtonData("cal", refusal=N_("This button is not valid."), page=int)


async def entries(ctx: Ctx, member) -> list:
    """The member's entries of [now, now + DAYS), oldest first, from every feature's hook."""
    start, end = ctx.now, ctx.now + timedelta(days=DAYS)
    cache: dict = {}
    found = []
    for hook in ctx.features.calendar:
        try:
            found += await hook(ctx.conn, member, start, end, member.language, cache)
        except Exception:  # one broken feature must not hide the rest of the calendar
            log.exception("calendar hook failed", extra={"hook": getattr(hook, "__qualname__", "?")})
    return sorted(found, key=lambda e: e.at)


def page_of(ctx: Ctx, found: list, page: int) -> tuple[str, list]:
    """The text and buttons of one page (1-based; a page past the end shows the last)."""
    t = ctx.t
    if not found:
        return t("🗓 Nothing is coming up for you in the next {days} days: no study session, consultation "
                 "meeting or deliberation topic. /sessions and /deliberations show what is open now.",
                 days=DAYS), []
    pages = (len(found) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 1), pages)
    lines = [t("🗓 <b>Coming up for you in the next {days} days</b>", days=DAYS)]
    if pages > 1:
        lines[0] += " " + t("(page {page} of {pages})", page=page, pages=pages)
    lines += [e.line for e in found[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    row = []
    if page > 1:
        row.append((t.plain("◀ Earlier"), PAGE.pack(page - 1)))
    if page < pages:
        row.append((t.plain("Later ▶"), PAGE.pack(page + 1)))
    return "\n".join(lines), [row] if row else []


async def cmd_calendar(ctx: Ctx) -> None:
    text, buttons = page_of(ctx, await entries(ctx, ctx.member), 1)
    await ctx.reply(text, buttons=buttons or None)


async def on_page(ctx: Ctx, fields: dict) -> None:
    """◀ ▶: the page asked for, drawn from the calendar as it is now."""
    text, buttons = page_of(ctx, await entries(ctx, ctx.member), fields["page"])
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)
    await ctx.answer()
