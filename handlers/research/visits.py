"""A field visit (调研走访) arranged in chat by the director, from the project's progress card:
title → when (start and end) → place, or an online link → confirm. It becomes a study-calendar
session for the participants (``projects.add_visit``), so the calendar's card, RSVP, reminders and
check-in come with it. Every step checks the role again."""

from __future__ import annotations

import re
from datetime import datetime

from handlers.core import flows
from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.flows import Step
from handlers.core.i18n import N_
from handlers.core.localtime import parse_local, show_span
from handlers.research import projects
from handlers.research.common import DIRECTORS_ONLY, GONE, NOT_OPEN, ResearchError, directs, esc
from storage import conversations
from storage import research as store
from storage.conversations import Conversation

STEP = ButtonData("rsv", refusal=N_("This button is no longer valid."), step=("confirm",), value=str)
WHEN = N_("When is it? Send the start and the end, like 2026-12-20 09:00-11:30.")
_SPAN = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*[-–—~至]\s*(\d{1,2}:\d{2})\s*$")


async def start(ctx: Ctx, fields: dict) -> None:
    """🚶 on the progress card."""
    project = await store.project(ctx.conn, fields["id"]) if fields["id"] else None
    if project is None:
        await ctx.answer(ctx.t.plain(GONE), alert=True)
        return
    if not directs(ctx.member, project):
        await ctx.answer(ctx.t.plain(DIRECTORS_ONLY), alert=True)
        return
    if project.status != "open":
        await ctx.answer(ctx.t.plain(NOT_OPEN), alert=True)
        return
    await VISIT.prompt(ctx, await flows.suspend_into(ctx, VISIT.name, "title", {"project": project.id}))
    await ctx.answer()


async def _take_title(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    if len(text) > 200:
        await ctx.reply(ctx.t("At most {limit} characters, please. Send a shorter one.", limit=200))
        return False
    conv.data["title"] = text
    return True


async def _take_when(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    match = _SPAN.match(text)
    try:
        starts, ends = (parse_local(f"{match[1]} {match[2]}"), parse_local(f"{match[1]} {match[3]}")) if match \
            else (None, None)
    except AdminError:
        starts = ends = None
    if starts is None or ends <= starts or starts <= ctx.now:
        await ctx.reply(ctx.t("That is not a time to come with its end after its start. ") + ctx.t(WHEN))
        return False
    conv.data.update(starts=starts.isoformat(), ends=ends.isoformat())
    return True


async def _take_place(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    if len(text) > 200:
        await ctx.reply(ctx.t("At most {limit} characters, please. Send a shorter one.", limit=200))
        return False
    conv.data["place"] = text
    return True


async def _preview(ctx: Ctx, conv: Conversation) -> str:
    t, d = ctx.t, conv.data
    project = await store.project(ctx.conn, d["project"])
    return "\n".join([t("<b>Preview</b> · {title}", title=project.title), f"🚶 <b>{esc(d['title'])}</b>",
                      show_span(datetime.fromisoformat(d["starts"]), datetime.fromisoformat(d["ends"])),
                      esc(d["place"]), t("It goes to the project's participants as a study-calendar card.")])


async def _arrange(ctx: Ctx, conv: Conversation) -> bool:
    t, d = ctx.t, conv.data
    await flows.resume(ctx, conv)
    project = await store.project(ctx.conn, d["project"])
    if project is None or not directs(ctx.member, project):
        await ctx.reply(t(DIRECTORS_ONLY))
        return True
    place, link = (None, d["place"]) if re.match(r"https?://\S+$", d["place"]) else (d["place"], None)
    try:
        session = await projects.add_visit(ctx, project.id, title=d["title"], start=datetime.fromisoformat(d["starts"]),
                                           end=datetime.fromisoformat(d["ends"]), place=place, link=link,
                                           actor=f"member:{ctx.member.id}")
    except ResearchError:
        await ctx.reply(t("The visit could not be arranged: nobody has joined yet, the time has passed or the paper "
                          "is delivered."))
        return True
    await ctx.reply(t("🚶 Field visit arranged: study session #{id}. The participants are getting its card; the "
                      "check-in code to show at the visit: <code>{code}</code>.", id=session.id,
                      code=session.checkin_code))
    return True


VISIT = flows.Flow("research_visit", STEP, [
    Step("title", N_("<b>Field visit (调研走访).</b> Send what it is, e.g. 走访西于庄街道养老服务站. /cancel stops."),
         on_text=_take_title, next="when"),
    Step("when", WHEN, on_text=_take_when, next="place"),
    Step("place", N_("Where? Send the place, or an online link."), on_text=_take_place, next="confirm"),
    flows.confirm_step("confirm", _preview, (N_("🚶 Arrange it"), "arrange"), _arrange,
                       cancelled=N_("No visit was arranged.")),
], stale=N_("This button is no longer valid."))


async def _still_directs(ctx: Ctx, conv: Conversation | None) -> bool:
    project = await store.project(ctx.conn, conv.data["project"]) if conv is not None else None
    return project is not None and directs(ctx.member, project)


async def on_step(ctx: Ctx, fields: dict) -> None:
    if not await _still_directs(ctx, await conversations.load(ctx.conn, ctx.event.user_id)):
        await ctx.answer(ctx.t.plain(DIRECTORS_ONLY), alert=True)
        return
    await VISIT.on_button(ctx, fields)


async def on_text(ctx: Ctx, conv: Conversation) -> None:
    if not await _still_directs(ctx, conv):
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t(DIRECTORS_ONLY))
        return
    await VISIT.on_message(ctx, conv)
