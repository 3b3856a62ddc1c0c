"""The office's and a committee's staff's side in chat: on ``/oversight`` each item they follow up
has the button of its next step — 📤 sent to the department (the clock starts), 📝 record the
department's reply (a text; a document goes through ``linkage oversight reply --file``), ✅ close
(a reason is asked unless the members have rated the reply). The same functions as the command
line (``items``), the role checked on every press and again when the text comes."""

from __future__ import annotations

from handlers.core import flows
from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.i18n import N_
from handlers.core.localtime import shown
from handlers.oversight import items as lifecycle
from handlers.oversight.common import (AWAITING_REPLY, OPENED, RATABLE, RATED, REASON_LIMIT, REPLY_LIMIT,
                                       OversightError, may_run)
from storage import conversations
from storage import oversight as store
from storage.conversations import Conversation

OFFICE = ButtonData("ovo", action=("send", "reply", "close"), item=int)
OFFICE_FLOW = "oversight_office"
ONLY_RUNNERS = N_("Only an office admin or the item's committee staff can do this.")
CHANGED = N_("This item has moved on: see /oversight.")


def next_step(t, row) -> list:
    """The row of buttons for an item's next step (none once closed)."""
    if row.status == OPENED:
        return [(t.plain("📤 #{id}: sent to the department", id=row.id), OFFICE.pack("send", row.id))]
    if row.status in AWAITING_REPLY:
        return [(t.plain("📝 #{id}: record the reply", id=row.id), OFFICE.pack("reply", row.id))]
    if row.status in RATABLE:
        return [(t.plain("✅ #{id}: close", id=row.id), OFFICE.pack("close", row.id))]
    return []


async def on_press(ctx: Ctx, fields: dict) -> None:
    item = await store.by_id(ctx.conn, fields["item"])
    if item is None or not may_run(ctx.member, item):
        await ctx.answer(ctx.t.plain(ONLY_RUNNERS), alert=True)
        return
    action, t = fields["action"], ctx.t
    if action == "send":
        try:
            item = await lifecycle.send_item(ctx, item.id, by=ctx.member)
        except OversightError:
            await ctx.answer(t.plain(CHANGED), alert=True)
            return
        await ctx.reply(t("📤 Item #{id} is with the department; the reply is due {due}.", id=item.id,
                          due=shown(item.due_at)))
    elif action == "reply" and item.status in AWAITING_REPLY:
        await flows.suspend_into(ctx, OFFICE_FLOW, "reply", {"item": item.id})
        await ctx.reply(t("Send the department's reply to item #{id} as text. /cancel stops.", id=item.id))
    elif action == "close" and item.status == RATED:
        await lifecycle.close_item(ctx, item.id, by=ctx.member)
        await ctx.reply(t("✅ Item #{id} is closed.", id=item.id))
    elif action == "close" and item.status in RATABLE:
        await flows.suspend_into(ctx, OFFICE_FLOW, "close", {"item": item.id})
        await ctx.reply(t("The members have not all rated the reply. Why close item #{id} now? Send the reason. "
                          "/cancel stops.", id=item.id))
    else:
        await ctx.answer(t.plain(CHANGED), alert=True)
        return
    await ctx.answer()


async def on_text(ctx: Ctx, conv: Conversation) -> None:
    item = await store.by_id(ctx.conn, conv.data["item"])
    if item is None or not may_run(ctx.member, item):
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t(ONLY_RUNNERS))
        return
    text = await flows.text_input(ctx)
    if text is None:
        return
    limit = REPLY_LIMIT if conv.step == "reply" else REASON_LIMIT
    if len(text) > limit:
        await ctx.reply(ctx.t("That is {length} characters; the limit is {limit}. Please shorten it and send it "
                              "again — nothing has been saved from this message.", length=len(text), limit=limit))
        return
    await flows.resume(ctx, conv)
    try:
        if conv.step == "reply":
            item = await lifecycle.record_reply(ctx, item.id, text=text, by=ctx.member)
            await ctx.reply(ctx.t("📝 The reply to item #{id} is recorded; {count} members are asked to rate it.",
                                  id=item.id, count=len(item.raisers)))
        else:
            await lifecycle.close_item(ctx, item.id, reason=text, by=ctx.member)
            await ctx.reply(ctx.t("✅ Item #{id} is closed.", id=item.id))
    except OversightError:
        await ctx.reply(ctx.t(CHANGED))
