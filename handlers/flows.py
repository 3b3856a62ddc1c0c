"""Short conversations that interrupt a longer one (an answer, an edit, a liaison's reply)
keep the unfinished draft and hand it back afterwards."""

from __future__ import annotations

from handlers.context import Ctx
from storage import conversations
from storage.conversations import Conversation


async def suspend_into(ctx: Ctx, flow: str, step: str, data: dict) -> None:
    current = await conversations.load(ctx.conn, ctx.event.user_id)
    if current is not None:
        saved = current.data.get("resume") if current.flow == flow else \
            {"flow": current.flow, "step": current.step, "data": current.data}
        if saved:
            data["resume"] = saved
    await conversations.save(ctx.conn, Conversation(ctx.event.user_id, flow, step, data), ctx.now)


async def resume(ctx: Ctx, conv: Conversation) -> None:
    saved = conv.data.get("resume")
    if saved:
        previous = Conversation(ctx.event.user_id, saved["flow"], saved["step"], saved["data"])
        await conversations.save(ctx.conn, previous, ctx.now)
        await ctx.reply(ctx.t("Back to your unfinished draft."))
    else:
        await conversations.clear(ctx.conn, ctx.event.user_id)
