"""Where each event goes. The only module that knows every feature module."""

from __future__ import annotations

from handlers import deadlines, groups, liaison, onboarding, study, submit
from handlers import cosign, digest, flood, notices, privacy, retention
from handlers.context import Ctx, db_id
from storage import conversations

PRIVATE_COMMANDS = {"help": onboarding.show_help, "language": onboarding.choose_language,
                    "cancel": onboarding.cancel, "my": submit.my_items}
# Later features plug in here: a module with COMMANDS = {"name": handler(ctx)} for private
# commands of known members, BUTTONS = {"prefix": handler(ctx, rest)} for private callback data
# "prefix:rest", and optionally FLOWS = {"flow": handler(ctx, conv)} for text in its conversations.
FEATURES: list = [deadlines, study]
FEATURES += [notices, digest]  # notices (通知公告), /settings and the digests
FEATURES += [privacy, retention]  # /mydata: a member's own data; the nightly clean-up
FEATURES += [cosign]  # co-signers (联名) answering their invitations


def needs_sender_status(event) -> bool:
    """/bind in a group must know whether the sender administers the group; the dispatcher
    asks Telegram before the transaction opens."""
    return event.kind == "message" and event.is_group and event.command == "bind" and not event.sender_is_chat


async def dispatch(ctx: Ctx, sender_status: str | None = None) -> None:
    event = ctx.event
    if event.kind == "bot_membership":
        if event.is_group:
            await groups.on_membership(ctx)
        elif event.is_private:
            await onboarding.on_private_membership(ctx)
        return
    if event.kind not in ("message", "callback") or event.chat_id is None:
        return  # edits, channel posts and the like carry nothing for us
    if not await flood.admit(ctx):
        return  # past the sender's limit: kept in the inbox, not answered
    if event.is_group:
        await _in_group(ctx, sender_status)
    elif event.is_private:
        await _in_private(ctx)


async def _in_group(ctx: Ctx, sender_status: str | None) -> None:
    event = ctx.event
    if event.kind == "callback":
        await liaison.on_card_button(ctx)
    elif event.command == "bind":
        await groups.bind(ctx, sender_status)
    elif event.command:
        await groups.wrong_chat(ctx)
    # other group messages are conversation among people, not for the bot


async def _in_private(ctx: Ctx) -> None:
    event = ctx.event
    if event.command == "start":
        await onboarding.start(ctx)
        return
    if ctx.member is None:
        await onboarding.refuse(ctx)
        return
    conv = await conversations.load(ctx.conn, event.user_id)
    if event.kind == "callback":
        await _private_button(ctx, conv)
    elif event.command == "submit":
        if conv is not None and conv.flow == "submit":
            await ctx.reply(ctx.t("Continuing your unfinished draft (/cancel discards it)."))
            await submit.prompt(ctx, conv)
        else:
            await submit.start(ctx)
    elif event.command in PRIVATE_COMMANDS:
        await PRIVATE_COMMANDS[event.command](ctx)
    elif (command := _feature("COMMANDS", event.command)) is not None:
        await command(ctx)
    elif event.command:
        await ctx.reply(ctx.t("I do not know that command.") + "\n\n" + onboarding.help_text(ctx))
    elif conv is None:
        await ctx.reply(ctx.t("To write a report, send /submit. /help lists everything I can do."))
    elif conv.flow == "submit":
        await submit.on_message(ctx, conv)
    elif conv.flow in ("edit", "answer"):
        await submit.on_member_text(ctx, conv)
    elif conv.flow == "card":
        await liaison.on_liaison_text(ctx, conv)
    elif (flow := _feature("FLOWS", conv.flow)) is not None:
        await flow(ctx, conv)


async def _private_button(ctx: Ctx, conv) -> None:
    data = ctx.event.callback_data or ""
    prefix, _, rest = data.partition(":")
    if prefix == "s":
        step, _, value = rest.partition(":")
        await submit.on_button(ctx, conv, step, value)
    elif prefix == "m":
        action, _, tail = rest.partition(":")
        item_text, _, extra = tail.partition(":")
        item_id = db_id(item_text)
        if item_id is None:
            await ctx.answer(ctx.t.plain("This button is not valid."), alert=True)
            return
        await submit.on_member_button(ctx, action, item_id, extra or None)
    elif prefix == "l":
        await liaison.on_choice_button(ctx, conv)
    elif prefix == "c":
        await liaison.on_card_button(ctx)  # cards of a person target arrive in private
    elif prefix == "lang":
        await onboarding.set_language(ctx, rest)
    elif (button := _feature("BUTTONS", prefix)) is not None:
        await button(ctx, rest)
    else:
        await ctx.answer(ctx.t.plain("This button is not valid."), alert=True)


def _feature(table: str, name: str | None):
    for module in FEATURES:
        handler = getattr(module, table, {}).get(name)
        if handler is not None:
            return handler
    return None
