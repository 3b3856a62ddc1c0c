"""During the meeting: live comments (在线留言). A member who is not speaking sends one (its text,
then whether the meeting's group may show their name or only their alias); it reaches the host's
private chat numbered in the order they came, with a 📢 button that posts it once to the
meeting's group (the room target ``consultation:ID``, bound with ``/bind KEY``)."""

from __future__ import annotations

import logging

from handlers.consultation.cards import author_label, invited_meeting, limited_text, may_organise, refuse
from handlers.consultation.meetings import room_name
from handlers.consultation.terms import COMMENT_LIMIT, PUSH, STEP, esc, is_on
from handlers.core import flows
from handlers.core.context import Ctx
from handlers.core.flows import Step
from handlers.core.i18n import N_, translator
from handlers.core.roles import runs_committee
from handlers.core.localtime import show_span
from storage import consultation as store
from storage import people
from storage import targets as target_store
from storage.conversations import Conversation

log = logging.getLogger("linkage.consultation")


async def _closed(ctx: Ctx, m) -> bool:
    if is_on(m, ctx.now):
        return False
    await refuse(ctx, N_("Live comments are open only while the meeting is on ({time})."),
                 time=show_span(m.starts_at, m.ends_at))
    return True


async def start(ctx: Ctx, m) -> None:
    """💬 on the card, while the meeting is on."""
    if await _closed(ctx, m):
        return
    conv = await flows.suspend_into(ctx, COMMENT.name, COMMENT.first, {"meeting": m.id})
    await ctx.answer()
    await COMMENT.prompt(ctx, conv)


async def _take_text(ctx: Ctx, conv: Conversation) -> bool:
    text = await limited_text(ctx, COMMENT_LIMIT, N_("A live comment can have at most {limit} characters; please "
                                                      "shorten it."))
    conv.data["text"] = text
    return text is not None


async def _send(ctx: Ctx, conv: Conversation, choice: str) -> bool:
    await flows.resume(ctx, conv)
    found = await invited_meeting(ctx, conv.data["meeting"])
    if found is None or await _closed(ctx, found[0]):
        return True
    m = found[0]
    comment_id, number = await store.add_comment(ctx.conn, m.id, ctx.member.id, conv.data["text"],
                                                 choice == "named", ctx.now)
    log.info("consultation live comment", extra={"consultation": m.id, "comment": comment_id})
    await ctx.reply(ctx.t("💬 Your comment #{number} reached the meeting's host. Thank you!", number=number))
    host = await people.by_id(ctx.conn, m.host_id) if m.host_id else None
    if host is not None and host.active and host.reachable and host.telegram_user_id is not None:
        t = translator(host.language)
        await ctx.send(host.telegram_user_id, await _host_text(ctx, host, t, comment_id),
                       buttons=[[(t.plain("📢 Push to the meeting group (推送到会议群)"), PUSH.pack(comment_id))]],
                       key=f"consult:comment:{comment_id}")
    return True


async def _host_text(ctx: Ctx, reader, t, comment_id: int) -> str:
    c = await store.comment(ctx.conn, comment_id)
    m = await store.meeting(ctx.conn, c.consultation_id)
    alias = await author_label(ctx.conn, c.member_id, False, t.lang)
    if runs_committee(reader, m.committee_code):  # the committee's side sees the name, and how the group will
        author = (await people.by_id(ctx.conn, c.member_id)).name
        shown = t("named in the group") if c.named else t("the group sees: {alias}", alias=alias)
        signed = f"{esc(author)} ({shown})"
    else:  # a host from outside the committee sees what the group would
        signed = esc(await author_label(ctx.conn, c.member_id, c.named, t.lang))
    lines = [t("💬 <b>Live comment #{number}</b> · {meeting}", number=c.number, meeting=m.title), signed, esc(c.text)]
    if c.pushed_at is not None:
        lines.append(t("📢 Pushed to the meeting group."))
    return "\n".join(lines)


COMMENT = flows.Flow("kcomment", STEP, [
    Step("text", N_("💬 Send your comment for the meeting's host (at most {limit} characters; /cancel stops)."),
         values={"limit": COMMENT_LIMIT}, on_text=_take_text, next="name"),
    Step("name", N_("If the host posts it to the meeting group, how should it be signed?"),
         choices=[[(N_("With my name"), "named"), (N_("With my alias (named to the committee only)"), "alias")]],
         on_choice=_send),
], stale=N_("This button is no longer valid."))


async def on_push(ctx: Ctx, fields: dict) -> None:
    """📢 in the host's chat: the comment goes to the meeting's group, once."""
    c = await store.comment(ctx.conn, fields["comment"])
    m = c and await store.meeting(ctx.conn, c.consultation_id)
    if m is None:
        await refuse(ctx, N_("This button is not valid."))
        return
    if ctx.member.id != m.host_id and not may_organise(ctx, m):
        await refuse(ctx, N_("Only the meeting's host can push a comment to the group."))
        return
    room = await target_store.by_name(ctx.conn, room_name(m.id))
    if room is None or room.chat_id is None:
        await refuse(ctx, N_("The meeting's group is not bound yet: the office makes its key with "
                             "linkage consultation room {id}."), id=m.id)
        return
    if not await store.mark_pushed(ctx.conn, c.id, ctx.now):
        await refuse(ctx, N_("This comment was already pushed to the group."))
        return
    t = translator(ctx.config.group_language)
    label = await author_label(ctx.conn, c.member_id, c.named, t.lang)
    await ctx.send(room.chat_id, t("💬 <b>Live comment #{number}</b> · {name}", number=c.number, name=label)
                   + "\n" + esc(c.text), thread_id=room.thread_id, is_group=True, key=f"consult:pushed:{c.id}")
    await ctx.answer(ctx.t.plain("Pushed to the meeting group."))
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, await _host_text(ctx, ctx.member, ctx.t, c.id),
                   buttons=[])
