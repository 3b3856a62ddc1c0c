"""Short conversations that interrupt a longer one (an answer, an edit, a liaison's reply)
keep the unfinished draft and hand it back afterwards."""

from __future__ import annotations

from handlers.core.context import Ctx, shows_nothing, without_bidi_controls
from handlers.core.i18n import N_
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


async def text_input(ctx: Ctx, *, empty_msgid: str = N_("Please send text, or /cancel to stop.")) -> str | None:
    """The text of the message, or None after telling the sender why it cannot be taken
    (no text, a file instead, or longer than the limit). Nothing is saved in that case."""
    text = without_bidi_controls(ctx.event.text or "").strip()  # so they cannot reorder a card
    if ctx.event.attachments or shows_nothing(text):
        await ctx.reply(ctx.t(empty_msgid))
        return None
    if len(text) > ctx.config.max_text_chars:
        await ctx.reply(ctx.t("That is {length} characters; the limit is {limit}. Please shorten it and "
                              "send it again — nothing has been saved from this message.",
                              length=len(text), limit=ctx.config.max_text_chars))
        return None
    return text
