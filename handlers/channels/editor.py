"""Editors in chat: ``/post`` (channel → title → text → a photo, a document or a link, or
nothing → publish now or keep as a draft) and ``/posts`` (the latest items of their channels with
received and opened counts). Scheduling, edits and withdrawals are also on the command line
(``linkage channel …``). Every step checks the editor's right to the channel again."""

from __future__ import annotations

import html

from handlers.channels import items
from handlers.channels.items import ChannelError, channel_name
from handlers.core import flows
from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.flows import Step
from handlers.core.i18n import N_
from storage import channels as store
from storage import conversations
from storage.conversations import Conversation

STEP = ButtonData("chp", refusal=N_("This button is no longer valid."), step=("channel", "extra", "confirm"),
                  value=str)
NOT_EDITOR = N_("Only the editors of a channel can post to it.")
# an editor's action on an item listed by /posts: withdraw (asks first), confirm it, publish a draft
ACTION = ButtonData("cha", refusal=N_("This button is no longer valid."), action=("withdraw", "confirm", "publish"),
                    item=int)


async def _channel_of(ctx: Ctx, conv: Conversation):
    channel = await store.by_id(ctx.conn, conv.data.get("channel", 0))
    if channel is None or not await items.may_edit(ctx.conn, ctx.member, channel):
        return None
    return channel


async def start_flow(ctx: Ctx) -> None:
    if not await items.editable_channels(ctx.conn, ctx.member):
        await ctx.reply(ctx.t(NOT_EDITOR))
        return
    await POST.prompt(ctx, await flows.suspend_into(ctx, POST.name, POST.first, {}))


async def _channel_choices(ctx: Ctx, conv: Conversation):
    return [[(channel_name(c, ctx.t.lang), str(c.id))] for c in await items.editable_channels(ctx.conn, ctx.member)]


async def _take_channel(ctx: Ctx, conv: Conversation, value: str) -> bool:
    channel = await store.by_id(ctx.conn, int(value)) if value.isdigit() and len(value) < 10 else None
    if channel is None or not await items.may_edit(ctx.conn, ctx.member, channel):
        return False
    conv.data["channel"] = channel.id
    return True


async def _take_title(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    if len(text) > items.TITLE_LIMIT:
        await ctx.reply(ctx.t("The title can have at most {limit} characters. Please send a shorter one.",
                              limit=items.TITLE_LIMIT))
        return False
    conv.data["title"] = text
    return True


async def _take_body(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    if len(text) > items.BODY_LIMIT:
        await ctx.reply(ctx.t("The text can have at most {limit} characters. Please shorten it.",
                              limit=items.BODY_LIMIT))
        return False
    conv.data["body"] = text
    return True


async def _take_extra(ctx: Ctx, conv: Conversation) -> bool:
    """A photo or a document, or a link (one message), or the skip button."""
    attachment = next(iter(ctx.event.attachments), None)
    if attachment is not None:
        problem = flows.file_problem(ctx, attachment)
        if problem is None and attachment.kind not in ("photo", "document"):
            problem = ctx.t("Please send a photo or a document, a link, or press Skip.")
        if problem:
            await ctx.reply(problem)
            return False
        conv.data["file"] = {"kind": attachment.kind, "value": attachment.file_id, "name": attachment.file_name}
        return True
    text = (ctx.event.text or "").strip()
    if not text.startswith(("https://", "http://")) or len(text) > items.LINK_LIMIT or " " in text:
        await ctx.reply(ctx.t("Please send a photo or a document, a link, or press Skip."))
        return False
    conv.data["link"] = text
    return True


async def _preview(ctx: Ctx, conv: Conversation) -> str:
    t = ctx.t
    channel = await _channel_of(ctx, conv)
    name = channel_name(channel, t.lang) if channel else "?"
    lines = [t("<b>Preview</b> · {channel}", channel=name), f"<b>{html.escape(conv.data['title'])}</b>", "",
             html.escape(conv.data["body"])]
    if conv.data.get("link"):
        lines += ["", "🔗 " + html.escape(conv.data["link"])]
    if conv.data.get("file"):
        lines += ["", t("📎 with a {kind}", kind=conv.data["file"]["kind"])]
    return "\n".join(lines)


async def _use_the_buttons(ctx: Ctx, conv: Conversation) -> bool:
    await ctx.reply(ctx.t("Please choose one of the buttons above, or /cancel to stop."))
    return False


async def _confirm(ctx: Ctx, conv: Conversation, choice: str) -> bool:
    t = ctx.t
    channel = await _channel_of(ctx, conv)
    if choice == "cancel" or channel is None:
        await flows.resume(ctx, conv)
        await ctx.reply(t("Nothing was posted.") if channel is not None else t(NOT_EDITOR))
        return True
    try:
        item_id, state, count = await items.post(ctx, channel, title=conv.data["title"], body=conv.data["body"],
                                                 link=conv.data.get("link"), file=conv.data.get("file"),
                                                 draft=choice == "draft", author=ctx.member)
    except ChannelError:
        await flows.resume(ctx, conv)
        await ctx.reply(t("The item could not be posted; please try again with /post."))
        return True
    await flows.resume(ctx, conv)
    if state == "draft":
        await ctx.reply(t("Item #{id} is kept as a draft (linkage channel publish {id} sends it).", id=item_id))
    else:
        await ctx.reply(t("Item #{id} is published in {channel}: {count} members get it now, the others in "
                          "their digest. /posts shows how many opened it.", id=item_id,
                          channel=channel_name(channel, t.lang), count=count))
    return True


POST = flows.Flow("channel_post", STEP, [
    Step("channel", N_("<b>New channel item.</b> Which channel? /cancel stops."), choices=_channel_choices,
         on_choice=_take_channel, next="title"),
    Step("title", N_("Send the title (at most 100 characters)."), on_text=_take_title, next="body"),
    Step("body", N_("Now send the text."), on_text=_take_body, next="extra"),
    Step("extra", N_("Add a photo or a document, or send a link — or press Skip."),
         choices=[[(N_("Skip"), "skip")]], on_choice=lambda ctx, conv, value: _skip(value), on_text=_take_extra,
         next="confirm"),
    Step("confirm", _preview, choices=[[(N_("📢 Publish"), "publish"), (N_("📝 Keep as draft"), "draft")],
                                       [(N_("✖ Cancel"), "cancel")]], on_choice=_confirm, on_text=_use_the_buttons),
], stale=N_("This button is no longer valid."))


async def _skip(value: str) -> bool:
    return value == "skip"


async def on_button(ctx: Ctx, fields: dict) -> None:
    if not await items.editable_channels(ctx.conn, ctx.member):
        await ctx.answer(ctx.t.plain(NOT_EDITOR), alert=True)
        return
    await POST.on_button(ctx, fields)


async def on_flow_text(ctx: Ctx, conv: Conversation) -> None:
    if not await items.editable_channels(ctx.conn, ctx.member):
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t(NOT_EDITOR))
        return
    await POST.on_message(ctx, conv)


async def list_posts(ctx: Ctx) -> None:
    """/posts: the latest items of the editor's channels, each with received and opened."""
    t = ctx.t
    mine = await items.editable_channels(ctx.conn, ctx.member)
    if not mine:
        await ctx.reply(t(NOT_EDITOR))
        return
    rows = [row for c in mine for row in await store.items_of(ctx.conn, c.id, limit=10)]
    rows.sort(key=lambda r: r.id, reverse=True)
    if not rows:
        await ctx.reply(t("Nothing has been posted to your channels yet. /post starts an item."))
        return
    lines = [t("<b>Latest items</b> (received · opened)")]
    buttons = []
    for row in rows[:15]:
        lines.append(items.stats_line(await items.stats(ctx.conn, row.id), t.lang))
        if row.status in ("published", "scheduled"):
            buttons.append([(t.plain("🗑 Withdraw #{id}", id=row.id), ACTION.pack("withdraw", row.id))])
        elif row.status == "draft":
            buttons.append([(t.plain("📢 Publish #{id}", id=row.id), ACTION.pack("publish", row.id))])
    await ctx.reply("\n".join(lines), buttons=buttons or None)


async def on_action(ctx: Ctx, fields: dict) -> None:
    """/posts' buttons: the editor's right to the item's channel is checked on every press."""
    t = ctx.t
    item = await store.item(ctx.conn, fields["item"])
    channel = item and await store.by_id(ctx.conn, item.channel_id)
    if channel is None or not await items.may_edit(ctx.conn, ctx.member, channel):
        await ctx.answer(t.plain(NOT_EDITOR), alert=True)
        return
    action = fields["action"]
    if action == "withdraw":
        await ctx.answer()
        await ctx.reply(t("Withdraw item #{id} «{title}»? Copies members received within 48 hours are deleted, "
                          "older ones say it was withdrawn.", id=item.id, title=item.title),
                        buttons=[[(t.plain("🗑 Withdraw"), ACTION.pack("confirm", item.id))]])
        return
    try:
        if action == "confirm":
            changed = await items.withdraw(ctx, item.id)
            text = t("Item #{id} is withdrawn; {count} received copies are deleted or marked.", id=item.id,
                     count=changed)
        else:
            count = await items.release(ctx, item.id)
            text = t("Item #{id} is published: {count} members get it now.", id=item.id, count=count)
    except ChannelError:
        await ctx.answer(t.plain("This button is no longer valid."), alert=True)
        return
    await ctx.answer()
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text)
