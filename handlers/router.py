"""Where each event goes: looked up in the features' declarations (handlers/features.py), never
hard-wired. What no feature takes gets the members feature's polite answers."""

from __future__ import annotations

from handlers.core.buttons import INVALID
from handlers.core import flood
from handlers.core.context import Ctx
from handlers.members import onboarding
from storage import conversations
from storage.conversations import Conversation


def needs_sender_status(event, features) -> bool:
    """A group command (``/bind``) must know whether the sender administers the group; the
    dispatcher asks Telegram before the transaction opens."""
    return event.kind == "message" and event.is_group and event.command in features.group_commands \
        and not event.sender_is_chat


async def dispatch(ctx: Ctx, sender_status: str | None = None) -> None:
    event, features = ctx.event, ctx.features
    if event.kind == "bot_membership":
        hook = features.on_group_membership if event.is_group else \
            features.on_private_membership if event.is_private else None
        if hook is not None:
            await hook(ctx)
        return
    if event.kind not in ("message", "callback") or event.chat_id is None:
        return  # edits, channel posts and the like carry nothing for us
    conv = await _conversation(ctx)
    if not await flood.admit(ctx, in_conversation=conv is not None):
        return  # past the sender's limit: kept in the inbox, not answered
    if event.is_group:
        await _in_group(ctx, sender_status)
    elif event.is_private:
        await _in_private(ctx, conv)


async def _conversation(ctx: Ctx) -> Conversation | None:
    """A member's conversation, for a plain private message (read once: the inbound limit and the
    flow it goes to both need it)."""
    event = ctx.event
    if event.kind != "message" or event.command or not event.is_private or ctx.member is None:
        return None
    return await conversations.load(ctx.conn, event.user_id)


async def _in_group(ctx: Ctx, sender_status: str | None) -> None:
    event, features = ctx.event, ctx.features
    if event.kind == "callback":
        await _button(ctx, features.group_buttons)
    elif event.command in features.group_commands:
        await features.group_commands[event.command](ctx, sender_status)
    elif event.command:
        await onboarding.wrong_chat(ctx)
    # other group messages are conversation among people, not for the bot


async def _in_private(ctx: Ctx, conv: Conversation | None) -> None:
    event, features = ctx.event, ctx.features
    if event.command in features.open_commands:
        await features.open_commands[event.command](ctx)
    elif ctx.member is None:
        await onboarding.refuse(ctx)
    elif event.kind == "callback":
        await _button(ctx, features.buttons)
    elif event.command in features.commands:
        await features.commands[event.command](ctx)
    elif event.command:
        await ctx.reply(ctx.t("I do not know that command.") + "\n\n" + onboarding.help_text(ctx))
    elif conv is None:
        await ctx.reply(ctx.t("To write a report, send /submit. /help lists everything I can do."))
    elif conv.flow in features.flows:
        await features.flows[conv.flow](ctx, conv)


async def _button(ctx: Ctx, buttons: dict) -> None:
    """Decode the pressed button with its declaration; a press that fits none is answered here."""
    data = ctx.event.callback_data or ""
    declared = buttons.get(data.partition(":")[0])
    fields = declared[0].unpack(data) if declared else None
    if fields is None:
        refusal = declared[0].refusal if declared else INVALID
        await ctx.answer(ctx.t.plain(refusal), alert=True)
        return
    await declared[1](ctx, fields)
