"""Joining by invite link, help, language, cancel — and the polite answers for what no feature takes:
a stranger, an unknown command, a command sent in a group."""

from __future__ import annotations

from handlers.core import flood, menus
from handlers.core.context import Ctx
from handlers.core.buttons import ButtonData
from handlers.core.i18n import N_, translator
from storage import conversations, people


async def start(ctx: Ctx) -> None:
    code = ctx.event.command_args
    if ctx.member is not None:
        await ctx.reply(ctx.t("Welcome back, {name}.", name=ctx.member.name) + "\n\n" + help_text(ctx))
        return
    if not code:
        await refuse(ctx)
        return
    invite = await people.invite(ctx.conn, code[:64])
    t = ctx.t
    if invite is None:
        await ctx.reply(t("This invite link is not valid. Please ask the office for a new one: {contact}",
                          contact=ctx.config.office_contact))
        return
    member = await people.by_id(ctx.conn, invite.member_id)
    if invite.used_at is not None or member.telegram_user_id is not None:
        await ctx.reply(t("This invite link has already been used. If that was not you, please tell the "
                          "office: {contact}", contact=ctx.config.office_contact))
        return
    if invite.expires_at <= ctx.now:
        await ctx.reply(t("This invite link has expired. Please ask the office for a new one: {contact}",
                          contact=ctx.config.office_contact))
        return
    if not await people.redeem_invite(ctx.conn, code, ctx.event.user_id, ctx.now):  # someone was faster
        await ctx.reply(t("This invite link has already been used. If that was not you, please tell the "
                          "office: {contact}", contact=ctx.config.office_contact))
        return
    ctx.member = await people.by_id(ctx.conn, member.id)
    await menus.queue_own_menu(ctx, ctx.member)  # a liaison's /find, an admin's /notice …
    await ctx.reply(ctx.t("Welcome, {name}! Your account is now linked to the CPPCC member list.",
                          name=member.name) + "\n\n" + help_text(ctx))


async def refuse(ctx: Ctx) -> None:
    """Someone who is not on the roster: a polite refusal and the office's contact, nothing else,
    and once an hour at most (a stranger's flood must not fill the sender's queue)."""
    text = ctx.t("Sorry, this bot serves CPPCC members who were invited by the office. If you are a "
                 "member, please ask for your personal invite link: {contact}",
                 contact=ctx.config.office_contact)
    if ctx.event.kind == "callback":  # a press is always answered: the client spins until it is
        await ctx.answer(ctx.t.plain("Sorry, this bot serves invited CPPCC members only."), alert=True)
    elif await flood.first_in_an_hour(ctx, flood.REFUSAL):
        await ctx.reply(text)


def help_text(ctx: Ctx) -> str:
    t = ctx.t
    lines = [t("/submit — write a social-opinion report (社情民意)"),
             t("/my — your reports and what happened to them"),
             t("/sessions — upcoming study sessions; /checkin CODE — check in at one"),
             t("/settings — how often news reaches you"),
             t("/mydata — a file with everything Linkage keeps about you"),
             t("/cancel — stop what you are doing"),
             t("/language — 中文 / English"),
             t("/help — this list")]
    lines += [t(msgid) for who, msgid in ctx.features.help if ctx.member is not None and (who is None or who(ctx.member))]
    if ctx.member is not None and ctx.member.role in ("liaison", "admin"):
        lines.append(t("As a liaison you act on report cards in your groups with their buttons."))
        lines.append(t("/find WORDS — look reports up by code, title or text"))
    if ctx.member is not None and ctx.member.role == "admin":
        lines.append(t("Office: /study sessions, /notice to send a notice, /notices read counts, /stats this week's "
                       "numbers, /holidays."))
    return "\n".join(lines)


async def show_help(ctx: Ctx) -> None:
    await ctx.reply(help_text(ctx))


LANGUAGE = ButtonData("lang", refusal=N_("This choice is not valid."), language=("zh", "en"))


async def choose_language(ctx: Ctx) -> None:
    await ctx.reply(ctx.t("Choose your language:"),
                    buttons=[[("中文", LANGUAGE.pack("zh")), ("English", LANGUAGE.pack("en"))]])


async def set_language(ctx: Ctx, fields: dict) -> None:
    value = fields["language"]
    await people.set_language(ctx.conn, ctx.member.id, value)
    await menus.queue_own_menu(ctx, await people.by_id(ctx.conn, ctx.member.id))
    await ctx.answer()
    t = translator(value)
    await ctx.reply(t("Language set to English.") if value == "en" else t("Language set to Chinese."))


async def cancel(ctx: Ctx) -> None:
    conv = await conversations.load(ctx.conn, ctx.event.user_id)
    await conversations.clear(ctx.conn, ctx.event.user_id)
    await ctx.reply(ctx.t("Cancelled. The draft was discarded.") if conv else ctx.t("There is nothing to cancel."))


async def on_private_membership(ctx: Ctx) -> None:
    """The member blocked (or unblocked) the bot: stop or resume sending to them."""
    await people.set_reachable(ctx.conn, ctx.event.chat_id, ctx.event.bot_status not in ("kicked", "left"))


async def wrong_chat(ctx: Ctx) -> None:
    """Once an hour per person and group: an outsider's commands must not crowd out the cards."""
    if not await flood.first_in_an_hour(ctx, flood.STEER):
        return
    t = translator(ctx.config.group_language)
    await ctx.reply(t("Please use this command in a private chat with me: https://t.me/{bot}",
                      bot=ctx.config.bot_username))
