"""Where a contribution is shown besides the thread page: the topic's room (its bound forum topic
or group, target ``deliberation:{id}``; the author as they chose to be named) and the committee's
copies (each staff member's private chat, the author's name, 隐藏 / 置顶 buttons). Each copy is an
outbox row with a key, so an edit, a withdrawal or a hiding changes it in place."""

from __future__ import annotations

from handlers.core.context import Buttons, Ctx
from handlers.core.i18n import translator
from handlers.deliberation.common import ACT, author, esc, question_label
from storage import deliberation as store
from storage import outbox, targets


def room_key(contribution_id: int) -> str:
    return f"deliberation:c{contribution_id}:room"


def staff_key(contribution_id: int, member_id: int) -> str:
    return f"deliberation:c{contribution_id}:staff:{member_id}"


async def text(ctx: Ctx, topic, row, lang: str, *, committee: bool) -> str:
    """One contribution as the room (``committee`` False) or the committee sees it."""
    t = translator(lang)
    head = f"#{row.number} {await author(ctx.conn, row, lang, committee=committee)}"
    if row.parent_id is not None:
        root = await store.contribution(ctx.conn, row.parent_id)
        head += " · " + t("reply to #{number}", number=root.number)
    lines = [f"🗳 <b>{esc(topic.title)}</b>", head]
    if row.parent_id is None:
        lines.append(f"<i>{question_label(t, topic, row.question)}</i>")
    if row.status == "withdrawn":
        lines.append(t("(withdrawn by the author)"))
    elif row.status == "hidden" and not committee:
        lines.append(t("(hidden by the committee)"))
    else:
        lines.append(esc(row.text) + (" 📎" if row.file_id else ""))
        if row.status == "hidden":
            lines.append(t("Hidden. Reason: {reason}", reason=row.hidden_reason or ""))
    if row.pinned:
        lines.append(t("📌 Pinned"))
    return "\n".join(lines)


def staff_buttons(t, row) -> Buttons:
    if row.status != "visible":
        return []
    buttons = [(t.plain("🙈 Hide"), ACT.pack("hide", row.id))]
    if row.parent_id is None:  # a reply is shown under its root: only a root can go first
        buttons.append((t.plain("📌 Pin"), ACT.pack("pin", row.id)))
    return [buttons]


async def _room(ctx: Ctx, topic):
    target = await targets.by_name(ctx.conn, f"deliberation:{topic.id}")
    return target if target is not None and target.chat_id is not None else None


async def post(ctx: Ctx, topic, row, staff: list) -> None:
    """A new contribution: to the room (if bound) and to each of the committee's people."""
    room = await _room(ctx, topic)
    if room is not None:
        await ctx.send(room.chat_id, await text(ctx, topic, row, ctx.config.group_language, committee=False),
                       thread_id=room.thread_id, is_group=True, key=room_key(row.id), priority=outbox.BULK)
    for member in staff:
        t = translator(member.language)
        await ctx.send(member.telegram_user_id, await text(ctx, topic, row, member.language, committee=True),
                       buttons=staff_buttons(t, row), key=staff_key(row.id, member.id), priority=outbox.BULK)
        if row.file_id:
            method, field = ("sendPhoto", "photo") if row.file_kind == "photo" else ("sendDocument", "document")
            await ctx.call(method, {"chat_id": member.telegram_user_id, field: row.file_id},
                           chat_id=member.telegram_user_id, priority=outbox.BULK)


async def on_room_bound(ctx: Ctx, target) -> None:
    """``Feature.on_target_bound``: a topic's room bound after members spoke gets what was said so
    far, in order (what is already posted there, under its key, is not posted again)."""
    owner, _, topic_id = (target.name or "").partition(":")
    if target.kind != "room" or owner != "deliberation" or not topic_id.isdigit():
        return
    topic = await store.by_id(ctx.conn, int(topic_id))
    if topic is None:
        return
    said = await store.visible(ctx.conn, topic.id)
    posted = await outbox.message_ids_for(ctx.conn, {room_key(row.id) for row in said})
    for row in said:
        if room_key(row.id) not in posted:
            await ctx.send(target.chat_id, await text(ctx, topic, row, ctx.config.group_language, committee=False),
                           thread_id=target.thread_id, is_group=True, key=room_key(row.id), priority=outbox.BULK)


async def refresh(ctx: Ctx, topic, contribution_id: int, staff: list) -> None:
    """After an edit, a withdrawal, a hiding or a pin: every copy already sent shows it."""
    row = await store.with_author(ctx.conn, contribution_id)
    keys = {room_key(row.id), *(staff_key(row.id, m.id) for m in staff)}
    sent = await outbox.message_ids_for(ctx.conn, keys)
    room = await _room(ctx, topic)
    if room is not None and room_key(row.id) in sent:
        await ctx.edit(room.chat_id, {"$ref": room_key(row.id)},
                       await text(ctx, topic, row, ctx.config.group_language, committee=False), is_group=True)
    for member in staff:
        if staff_key(row.id, member.id) in sent:
            await ctx.edit(member.telegram_user_id, {"$ref": staff_key(row.id, member.id)},
                           await text(ctx, topic, row, member.language, committee=True),
                           buttons=staff_buttons(translator(member.language), row))
