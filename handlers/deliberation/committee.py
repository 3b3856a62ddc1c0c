"""The committee's side in chat: ``/deliberate`` (title → background → questions → audience →
closing time → confirm), hiding a contribution with a reason and pinning one from the committee's
copy, and writing the conclusion from the closing summary. Every step checks the role again."""

from __future__ import annotations

from datetime import datetime

from handlers.core import audience, flows, roles
from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.flows import Step
from handlers.core.i18n import N_, Html
from handlers.core.localtime import parse_local, shown
from handlers.deliberation import topics
from handlers.deliberation.common import (CLOSED, COMMITTEE_ONLY, MAX_QUESTIONS, QUESTION_LIMIT, TITLE_LIMIT,
                                          DeliberationError, card, committee_name, esc)
from handlers.core.audience import audience_label
from storage import conversations, people, reference
from storage import deliberation as store
from storage.conversations import Conversation

STEP = ButtonData("dlo", refusal=N_("This button is no longer valid."),
                  step=("committee", "questions", "audience", "confirm"), value=str)
HIDE_FLOW, CONCLUDE_FLOW = "delib_hide", "delib_conclude"
AUDIENCES = (("all", N_("all members")), ("level:city", N_("city-level members")),
             ("level:district", N_("district-level members")))


def may_open(member) -> bool:
    return roles.is_admin(member) or roles.staff_committee(member) is not None


async def start(ctx: Ctx) -> None:
    """/deliberate: staff open a topic for their own committee; an admin chooses the committee."""
    if not may_open(ctx.member):
        await ctx.reply(ctx.t("Only a committee's staff or an office admin can open a deliberation topic."))
        return
    own = roles.staff_committee(ctx.member)
    first, data = ("title", {"committee": own}) if own else ("committee", {})
    await OPEN.prompt(ctx, await flows.suspend_into(ctx, OPEN.name, first, data))


async def _committees(ctx: Ctx, conv: Conversation):
    rows = await reference.rows_of(ctx.conn, "committee")
    return flows.grid([(reference.name(row, ctx.t.lang), row.code) for row in rows], 2)


async def _choose_committee(ctx: Ctx, conv: Conversation, code: str) -> bool:
    if code not in {row.code for row in await reference.rows_of(ctx.conn, "committee")}:
        return False
    conv.data["committee"] = code
    return True


async def _take(ctx: Ctx, conv: Conversation, key: str, limit: int) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    if len(text) > limit:
        await ctx.reply(ctx.t("At most {limit} characters, please. Send a shorter one.", limit=limit))
        return False
    conv.data[key] = text
    return True


async def _take_title(ctx: Ctx, conv: Conversation) -> bool:
    return await _take(ctx, conv, "title", TITLE_LIMIT)


async def _take_background(ctx: Ctx, conv: Conversation) -> bool:
    document = next((a for a in ctx.event.attachments if a.kind == "document"), None)
    if document is not None:
        conv.data.update(file_id=document.file_id, body=ctx.event.text or document.file_name or "")
        return True
    return await _take(ctx, conv, "body", topics.BODY_LIMIT)


async def _take_questions(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    try:
        conv.data["questions"] = topics.clean_questions(text.splitlines())
    except DeliberationError:
        await ctx.reply(ctx.t("At most {count} questions of at most {limit} characters each, one a line. Please "
                              "send them again.", count=MAX_QUESTIONS, limit=QUESTION_LIMIT))
        return False
    return True


async def _no_questions(ctx: Ctx, conv: Conversation, value: str) -> bool:
    conv.data["questions"] = []
    return True


async def _audience(ctx: Ctx, conv: Conversation, typed: str) -> bool:
    try:
        conv.data["audience"] = audience.parse(typed)
    except AdminError:
        await ctx.reply(ctx.t("That audience is not valid. Examples: all, level:city, district:hongqiao, "
                              "committee:economic, sector:education, list:C001,C002."))
        return False
    if not await people.in_audience(ctx.conn, conv.data["audience"]):
        await ctx.reply(ctx.t("Nobody the bot can reach is in that audience. Choose another one."))
        return False
    return True


async def _typed_audience(ctx: Ctx, conv: Conversation) -> bool:
    typed = await flows.text_input(ctx)
    return typed is not None and await _audience(ctx, conv, typed)


async def _take_closing(ctx: Ctx, conv: Conversation) -> bool:
    typed = await flows.text_input(ctx)
    if typed is None:
        return False
    try:
        closes = parse_local(typed)
    except AdminError:
        closes = None
    if closes is None or closes <= ctx.now:
        await ctx.reply(ctx.t("Please send a time to come, like 2026-12-20 18:00."))
        return False
    conv.data["closes"] = closes.isoformat()
    return True


async def _preview(ctx: Ctx, conv: Conversation) -> str:
    t, d = ctx.t, conv.data
    lines = [t("<b>Preview</b> · {committee}", committee=await committee_name(ctx.conn, d["committee"], t.lang)),
             f"<b>{esc(d['title'])}</b>", esc(d["body"]) + (" 📎" if d.get("file_id") else "")]
    lines += [f"{n}. {esc(q)}" for n, q in enumerate(d["questions"], 1)]
    lines += [t("To: {audience}", audience=Html(await audience_label(ctx.conn, d["audience"], t.lang))),
              t("⏰ Open until {time}", time=shown(datetime.fromisoformat(d["closes"])))]
    return "\n".join(lines)


async def _open(ctx: Ctx, conv: Conversation) -> bool:
    t, d = ctx.t, conv.data
    await flows.resume(ctx, conv)
    try:
        topic = await topics.open_topic(ctx, title=d["title"], committee=d["committee"], audience_spec=d["audience"],
                                        closes=datetime.fromisoformat(d["closes"]), body=d["body"], file_id=d.get("file_id"),
                                        questions=d["questions"], opened_by=ctx.member.id,
                                        actor=f"member:{ctx.member.id}")
    except DeliberationError:
        await ctx.reply(t("The topic could not be opened: the closing time has passed. Please start again."))
        return True
    await ctx.reply(t("Deliberation #{id} is open until {time}; the audience is getting its card.",
                      id=topic.id, time=shown(topic.closes_at)))
    return True



OPEN = flows.Flow("deliberate", STEP, [
    Step("committee", N_("<b>New deliberation topic.</b> Which committee puts it? /cancel stops."),
         choices=_committees, on_choice=_choose_committee, next="title"),
    Step("title", N_("<b>New deliberation topic.</b> Send its title. /cancel stops."), on_text=_take_title,
         next="background"),
    Step("background", N_("Send the background: a text, or a document with a caption."), on_text=_take_background,
         next="questions"),
    Step("questions", N_("Send up to 5 questions for members to answer, one a line, or press No questions."),
         choices=[[(N_("No questions"), "none")]], on_choice=_no_questions, on_text=_take_questions,
         next="audience"),
    Step("audience", N_("Who is invited? Choose below, or type an audience such as district:hongqiao, "
                        "committee:social_legal or list:C001,C002."),
         choices=[[(label, key)] for key, label in AUDIENCES], on_choice=_audience, on_text=_typed_audience,
         next="closes"),
    Step("closes", N_("When does it close? Send a date and time, like 2026-12-20 18:00."), on_text=_take_closing,
         next="confirm"),
    flows.confirm_step("confirm", _preview, (N_("🗳 Open"), "open"), _open, cancelled=N_("The topic was not opened.")),
], stale=N_("This button is no longer valid."))


async def on_step(ctx: Ctx, fields: dict) -> None:
    if not may_open(ctx.member):
        await ctx.answer(ctx.t.plain("Only a committee's staff or an office admin can open a deliberation topic."),
                         alert=True)
        return
    await OPEN.on_button(ctx, fields)


async def on_open_text(ctx: Ctx, conv: Conversation) -> None:
    if not may_open(ctx.member):
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t("Only a committee's staff or an office admin can open a deliberation topic."))
        return
    await OPEN.on_message(ctx, conv)


# --- moderation and the conclusion -------------------------------------------------------------

async def _runs(ctx: Ctx, topic) -> bool:
    if topic is not None and roles.runs_committee(ctx.member, topic.committee_code):
        return True
    await ctx.answer(ctx.t.plain(COMMITTEE_ONLY), alert=True)
    return False


async def hide(ctx: Ctx, fields: dict) -> None:
    row = await store.contribution(ctx.conn, fields["id"])
    if await _runs(ctx, row and await store.by_id(ctx.conn, row.deliberation_id)):
        await flows.suspend_into(ctx, HIDE_FLOW, "reason", {"contribution": row.id})
        await ctx.reply(ctx.t("Why is #{number} hidden? Send the reason; the author is told it. /cancel keeps it "
                              "shown.", number=row.number))
        await ctx.answer()


async def pin(ctx: Ctx, fields: dict) -> None:
    row = await store.contribution(ctx.conn, fields["id"])
    topic = row and await store.by_id(ctx.conn, row.deliberation_id)
    if not await _runs(ctx, topic):
        return
    try:
        await topics.moderate(ctx, row.id, "pin", by=ctx.member, actor=f"member:{ctx.member.id}")
    except DeliberationError:
        await ctx.answer(ctx.t.plain("This contribution can no longer be changed."), alert=True)
        return
    await ctx.answer(ctx.t.plain("📌 Pinned: it comes first on the thread page."))


async def _committee_text(ctx: Ctx, conv: Conversation, topic) -> str | None:
    """What the committee's member typed for ``topic`` (their draft, if any, handed back), or None
    after answering why it is not taken."""
    if not roles.runs_committee(ctx.member, topic.committee_code):
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t(COMMITTEE_ONLY))
        return None
    text = await flows.text_input(ctx)
    if text is not None:
        await flows.resume(ctx, conv)
    return text


async def on_hide_text(ctx: Ctx, conv: Conversation) -> None:
    row = await store.contribution(ctx.conn, conv.data["contribution"])
    reason = await _committee_text(ctx, conv, await store.by_id(ctx.conn, row.deliberation_id))
    if reason is None:
        return
    try:
        await topics.moderate(ctx, row.id, "hide", reason=reason, by=ctx.member, actor=f"member:{ctx.member.id}")
    except DeliberationError:
        await ctx.reply(ctx.t("This contribution can no longer be changed."))
        return
    await ctx.reply(ctx.t("#{number} is hidden; the author was told the reason.", number=row.number))


async def close(ctx: Ctx, fields: dict) -> None:
    """⏹ on the committee's card in /deliberations: close now (the summary and export follow)."""
    topic = await store.by_id(ctx.conn, fields["id"])
    if not await _runs(ctx, topic):
        return
    if topic.status == "closed":
        await ctx.answer(ctx.t.plain(CLOSED), alert=True)
        return
    await topics.close_topic(ctx, topic.id, actor=f"member:{ctx.member.id}")
    text, buttons = await card(ctx.conn, await store.by_id(ctx.conn, topic.id), ctx.t.lang)
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)
    await ctx.answer(ctx.t.plain("Closed: the summary and the export are on their way to the committee."))


async def conclude(ctx: Ctx, fields: dict) -> None:
    topic = await store.by_id(ctx.conn, fields["id"])
    if await _runs(ctx, topic):
        if topic.conclusion:
            await ctx.answer(ctx.t.plain("This topic already has its conclusion."), alert=True)
            return
        await flows.suspend_into(ctx, CONCLUDE_FLOW, "body", {"topic": topic.id})
        await ctx.reply(ctx.t("Send the committee's conclusion (议政结论) on «{title}»; every participant gets it. "
                              "/cancel stops.", title=topic.title))
        await ctx.answer()


async def on_conclude_text(ctx: Ctx, conv: Conversation) -> None:
    topic = await store.by_id(ctx.conn, conv.data["topic"])
    body = await _committee_text(ctx, conv, topic)
    if body is None:
        return
    try:
        count = await topics.conclude(ctx, topic.id, body, actor=f"member:{ctx.member.id}")
    except DeliberationError:
        await ctx.reply(ctx.t("This topic already has its conclusion."))
        return
    await ctx.reply(ctx.t("The conclusion is on its way to {count} participants.", count=count))
