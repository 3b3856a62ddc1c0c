"""Groups: binding a group (or a forum topic) to a target with a one-time key, noticing
when the bot is added or removed."""

from __future__ import annotations

from handlers.core import flood
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from storage import audit, people, reference
from storage import targets as target_store

ADMIN_STATUSES = ("creator", "administrator")


async def bind(ctx: Ctx, sender_status: str | None) -> None:
    t = translator(ctx.config.group_language)
    key = ctx.event.command_args.strip()
    if not (ctx.event.sender_is_chat or sender_status in ADMIN_STATUSES):
        if await flood.first_in_an_hour(ctx, flood.STEER):
            await ctx.reply(t("Only an administrator of this group can bind it."))
        return
    target_id = await target_store.bind(ctx.conn, key, ctx.event.chat_id, ctx.event.thread_id, ctx.now) \
        if key else None
    if target_id is None:
        await ctx.reply(t("This key is not valid, was already used or has expired. Ask the city office "
                          "for a new one (linkage group bind-key)."))
        return
    target = await target_store.by_id(ctx.conn, target_id)
    await audit.record(ctx.conn, f"telegram:{ctx.event.user_id}", "group.bind",
                       {"target": target.name, "chat_id": ctx.event.chat_id,
                        "thread_id": ctx.event.thread_id}, ctx.now)
    bound = N_("✅ This chat is now the room of: {name}.") if target.kind == "room" else \
        N_("✅ This chat now receives reports for: {name}.")  # a module's room gets no report cards
    await ctx.reply(t(bound, name=reference.name(target, t.lang)))
    for listener in ctx.features.on_target_bound:  # what was waiting for this group (a cluster card)
        await listener(ctx, target)


async def on_membership(ctx: Ctx) -> None:
    t = translator(ctx.config.group_language)
    if ctx.event.bot_status in ("left", "kicked"):
        lost = await target_store.unbind_chat(ctx.conn, ctx.event.chat_id)
        if lost:
            await audit.record(ctx.conn, "system", "group.removed",
                               {"chat_id": ctx.event.chat_id, "targets": [x.name for x in lost]}, ctx.now)
            for admin in await people.admins(ctx.conn):
                at = translator(admin.language)
                await ctx.send(admin.telegram_user_id, at(
                    "⚠ The bot was removed from the group “{title}”. It no longer receives reports for: "
                    "{names}. New reports go to the fallback until the group is bound again.",
                    title=ctx.event.chat_title or ctx.event.chat_id,
                    names="、".join(reference.name(x, at.lang) for x in lost)))
        return
    if not await target_store.in_chat(ctx.conn, ctx.event.chat_id):
        await ctx.reply(t("Hello! I am the Linkage bot of the CPPCC. This group is not set up yet: an "
                          "administrator of the group can send /bind KEY with the key from the city office."))

