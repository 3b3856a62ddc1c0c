"""/settings (how often the news reaches a member), /stats (the office's week) and the
member's part of /mydata."""

from __future__ import annotations

from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from handlers.digests.news import OfficeStats
from handlers.digests.render import FREQUENCY_LABELS, open_count, render_office
from storage import digests as store

FREQUENCY = ButtonData("dg", refusal=N_("This choice is not valid."), frequency=tuple(FREQUENCY_LABELS))


def _settings_view(t, frequency: str):
    text = "\n".join([t("<b>Digest settings</b>"),
                      t("Your own reports: every step reaches you at once, and the weekly digest sums "
                        "them up."),
                      t("The news (numbers for the city and your district, adopted reports, upcoming "
                        "sessions): how often do you want it?"),
                      t("Now: {choice}", choice=t.plain(FREQUENCY_LABELS[frequency])),
                      t("Language: /language · your phone number: /phone")])
    buttons = [[(("● " if key == frequency else "") + t.plain(label), FREQUENCY.pack(key))]
               for key, label in FREQUENCY_LABELS.items()]
    return text, buttons


async def stats_command(ctx: Ctx) -> None:
    """/stats (office admins): the last seven days as the weekly statistics give them."""
    if ctx.member.role != "admin":
        await ctx.reply(ctx.t("Only office admins can see the statistics."))
        return
    stats = await OfficeStats.load(ctx.conn, ctx.now)
    await ctx.reply(render_office(stats, ctx.t.lang, await open_count(ctx.conn)))


async def settings_command(ctx: Ctx) -> None:
    text, buttons = _settings_view(ctx.t, await store.frequency(ctx.conn, ctx.member.id))
    await ctx.reply(text, buttons=buttons)
    for part in ctx.features.settings:  # the features' own choices (the channels)
        await part(ctx)


async def on_settings_button(ctx: Ctx, fields: dict) -> None:
    t = ctx.t
    rest = fields["frequency"]
    await store.set_frequency(ctx.conn, ctx.member.id, rest, ctx.now)
    await ctx.answer(t.plain("Saved: {choice}", choice=t.plain(FREQUENCY_LABELS[rest])))
    text, buttons = _settings_view(t, rest)
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)


async def personal_data(conn, member) -> dict:
    """For /mydata (handlers/privacy/mydata.py): how often news reaches the member."""
    return {"news_frequency": translator(member.language).plain(FREQUENCY_LABELS[await store.frequency(conn, member.id)])}
