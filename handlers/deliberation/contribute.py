"""Taking part: 发表意见 (which question → text → optional photo or document → how to be named →
confirm), 跟帖 (a reply to a root contribution: the same flow from the text), and the author's
edit or withdrawal within 15 minutes. One contribution a minute per member; nothing after closing."""

from __future__ import annotations

from datetime import timedelta

from handlers.core import flows
from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx, clip
from handlers.core.flows import Step
from handlers.core.i18n import N_
from handlers.core.localtime import shown
from handlers.deliberation import mirror
from handlers.deliberation.common import (ACT, CLOSED, NOT_INVITED, WHOLE_TOPIC, esc, is_open, may_still_change, may_take_part,
                                          question_label)
from handlers.deliberation.topics import committee_people
from storage import deliberation as store
from storage.conversations import Conversation

STEP = ButtonData("dls", refusal=N_("This button is no longer valid."),
                  step=("question", "file", "naming", "confirm"), value=str)
EDIT_FLOW = "delib_edit"
PER_MINUTE = timedelta(minutes=1)
NAMINGS = (("named", N_("✍ Named (署名)")), ("committee", N_("🔒 Named to the committee only")))
TIME_OVER = N_("Sorry, the 15 minutes for changing this contribution are over.")


async def _topic_for(ctx: Ctx, topic_id: int):
    """The topic if the sender may contribute to it now; otherwise None, after answering why."""
    topic = await store.by_id(ctx.conn, topic_id)
    if topic is None or not may_take_part(ctx.member, topic):
        await ctx.answer(ctx.t.plain(NOT_INVITED), alert=True)
        return None
    if not is_open(topic, ctx.now):
        await ctx.answer(ctx.t.plain(CLOSED), alert=True)
        return None
    return topic


async def start(ctx: Ctx, fields: dict) -> None:
    """发表意见 on a topic's card or thread page."""
    topic = await _topic_for(ctx, fields["id"])
    if topic is not None:
        first = "question" if topic.questions else "text"
        await SAY.prompt(ctx, await flows.suspend_into(ctx, SAY.name, first, {"topic": topic.id}))
        await ctx.answer()


async def reply(ctx: Ctx, fields: dict) -> None:
    """跟帖 on a contribution: a reply to its root (replies to replies join the same root)."""
    row = await store.contribution(ctx.conn, fields["id"])
    root = row and (await store.contribution(ctx.conn, row.parent_id) if row.parent_id else row)
    if root is None or root.status != "visible":
        await ctx.answer(ctx.t.plain("This button is not valid."), alert=True)
        return
    topic = await _topic_for(ctx, root.deliberation_id)
    if topic is not None:
        data = {"topic": topic.id, "parent": root.id, "question": root.question}
        await SAY.prompt(ctx, await flows.suspend_into(ctx, SAY.name, "text", data))
        await ctx.answer()


async def _questions(ctx: Ctx, conv: Conversation):
    topic = await store.by_id(ctx.conn, conv.data["topic"])
    rows = [[(clip(f"{n}. {q}", 60), str(n))] for n, q in enumerate(topic.questions, 1)]
    return rows + [[(ctx.t.plain(WHOLE_TOPIC), "0")]]


async def _choose_question(ctx: Ctx, conv: Conversation, value: str) -> bool:
    topic = await store.by_id(ctx.conn, conv.data["topic"])
    if not value.isdigit() or int(value) > len(topic.questions):
        return False
    conv.data["question"] = int(value) or None
    return True


async def _text_prompt(ctx: Ctx, conv: Conversation) -> str:
    t = ctx.t
    if conv.data.get("parent"):
        root = await store.contribution(ctx.conn, conv.data["parent"])
        return t("Send your reply to #{number} (at most {limit} characters). /cancel stops.", number=root.number,
                 limit=ctx.config.max_text_chars)
    return t("Send your view (at most {limit} characters). /cancel stops.", limit=ctx.config.max_text_chars)


async def _take_text(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    conv.data["text"] = text
    return True


async def _take_file(ctx: Ctx, conv: Conversation) -> bool:
    return await flows.take_photo_or_document(ctx, conv, SAY)


async def _preview(ctx: Ctx, conv: Conversation) -> str:
    t = ctx.t
    topic = await store.by_id(ctx.conn, conv.data["topic"])
    naming = dict(NAMINGS)[conv.data["naming"]]
    lines = [t("<b>Preview</b> · {title}", title=topic.title)]
    if not conv.data.get("parent"):
        lines.append(f"<i>{question_label(t, topic, conv.data.get('question'))}</i>")
    lines += [esc(conv.data["text"]) + (" 📎" if conv.data.get("file") else ""), "",
              t("Shown as: {naming}", naming=t.plain(naming))]
    return "\n".join(lines)


async def _send(ctx: Ctx, conv: Conversation) -> object:
    t = ctx.t
    topic = await store.by_id(ctx.conn, conv.data["topic"])
    if not is_open(topic, ctx.now) or not may_take_part(ctx.member, topic):
        await flows.resume(ctx, conv)
        await ctx.reply(t("Sorry, this topic closed at {time}; your view was not added.",
                          time=shown(topic.closes_at)))
        return True
    last = await store.last_at(ctx.conn, ctx.member.id)
    if last is not None and ctx.now < last + PER_MINUTE:
        wait = int((last + PER_MINUTE - ctx.now).total_seconds()) + 1
        await ctx.reply(t("One contribution a minute, please: press Send again in {seconds} seconds.", seconds=wait))
        return flows.STAY
    file = conv.data.get("file") or {}
    contribution_id = await store.add(
        ctx.conn, topic.id, member_id=ctx.member.id, parent_id=conv.data.get("parent"),
        question=conv.data.get("question"), text=conv.data["text"], file_id=file.get("file_id"),
        file_kind=file.get("kind"), naming=conv.data["naming"], status="visible", pinned=False, created_at=ctx.now)
    row = await store.with_author(ctx.conn, contribution_id)
    await mirror.post(ctx, topic, row, await committee_people(ctx.conn, topic))
    await flows.resume(ctx, conv)
    await ctx.reply(t("✅ Sent as #{number}. You may change or withdraw it within 15 minutes.", number=row.number),
                    buttons=_own_buttons(t, row.id))
    return True


def _own_buttons(t, contribution_id: int):
    return [[(t.plain("✏ Edit"), ACT.pack("edit", contribution_id)),
             (t.plain("🗑 Withdraw"), ACT.pack("withdraw", contribution_id))]]


SAY = flows.Flow("delib_say", STEP, [
    Step("question", N_("Which question does your view answer?"), choices=_questions, on_choice=_choose_question,
         next="text"),
    Step("text", _text_prompt, on_text=_take_text, next="file"),
    Step("file", N_("Add a photo or a document if you like, or press Skip."),
         choices=[[(N_("⏭ Skip"), "skip")]], on_text=_take_file, next="naming"),
    Step("naming", N_("How should your name be shown? <b>Named</b>: with your name, to everyone who sees the "
                      "thread. <b>Named to the committee only</b>: the committee sees your name, everyone else "
                      "only an alias."),
         choices=[[(label, value)] for value, label in NAMINGS], on_choice=flows.remember("naming"), next="confirm"),
    flows.confirm_step("confirm", _preview, (N_("✅ Send"), "send"), _send, cancelled=N_("Nothing was sent.")),
], stale=N_("This button is no longer valid."))


async def on_step(ctx: Ctx, fields: dict) -> None:
    await SAY.on_button(ctx, fields)


async def on_say_text(ctx: Ctx, conv: Conversation) -> None:
    await SAY.on_message(ctx, conv)


# --- the author's own changes ---------------------------------------------------------------

async def _own(ctx: Ctx, contribution_id: int):
    """The sender's own visible contribution, still open to change; None after answering why."""
    t = ctx.t
    row = await store.contribution(ctx.conn, contribution_id)
    if row is None or row.member_id != ctx.member.id:
        await ctx.answer(t.plain("This button is not valid."), alert=True)
        return None
    topic = await store.by_id(ctx.conn, row.deliberation_id)
    if row.status != "visible":
        await ctx.answer(t.plain("This contribution can no longer be changed."), alert=True)
    elif not is_open(topic, ctx.now):
        await ctx.answer(t.plain(CLOSED), alert=True)
    elif not may_still_change(row, ctx.now):
        await ctx.answer(t.plain(TIME_OVER), alert=True)
    else:
        return row, topic
    return None


async def edit(ctx: Ctx, fields: dict) -> None:
    found = await _own(ctx, fields["id"])
    if found is not None:
        await flows.suspend_into(ctx, EDIT_FLOW, "text", {"contribution": found[0].id})
        await ctx.reply(ctx.t("Send the new text of #{number}. /cancel keeps it as it is.", number=found[0].number))
        await ctx.answer()


async def on_edit_text(ctx: Ctx, conv: Conversation) -> None:
    row = await store.contribution(ctx.conn, conv.data["contribution"])
    topic = await store.by_id(ctx.conn, row.deliberation_id)
    if row.status != "visible" or not is_open(topic, ctx.now) or not may_still_change(row, ctx.now):
        await flows.resume(ctx, conv)
        await ctx.reply(ctx.t(TIME_OVER))
        return
    text = await flows.text_input(ctx)
    if text is None:
        return
    await store.change_contribution(ctx.conn, row.id, text=text, edited_at=ctx.now)
    await mirror.refresh(ctx, topic, row.id, await committee_people(ctx.conn, topic))
    await flows.resume(ctx, conv)
    await ctx.reply(ctx.t("✅ #{number} now reads as you wrote it.", number=row.number))


async def withdraw(ctx: Ctx, fields: dict) -> None:
    found = await _own(ctx, fields["id"])
    if found is None:
        return
    row, topic = found
    await store.change_contribution(ctx.conn, row.id, status="withdrawn", pinned=False)
    await mirror.refresh(ctx, topic, row.id, await committee_people(ctx.conn, topic))
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, ctx.t("🗑 #{number} was withdrawn.", number=row.number))
    await ctx.answer(ctx.t.plain("Withdrawn."))

