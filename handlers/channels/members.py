"""What a member chooses and sees of the channels: per channel, subscribed or not and instant or
in the digest (``/channels``, and the channels' part of ``/settings``); the digest's part (the
window's items under their channel's heading, newest first, titles and links only); /mydata."""

from __future__ import annotations

import html

from handlers.channels.items import channel_name, choice_of
from handlers.core import audience
from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from storage import channels as store

CHOICES = ("instant", "digest", "off")
CHOOSE = ButtonData("chs", refusal=N_("This choice is not valid."), channel=int, choice=CHOICES)
CHOICE_LABELS = {"instant": N_("at once"), "digest": N_("in the digest"), "off": N_("not subscribed")}
NEXT = {"instant": "digest", "digest": "off", "off": "instant"}
DIGEST_PER_CHANNEL = 8  # items a channel shows in one digest (then "and N more")


def _current(channel, member, chosen: dict) -> str:
    subscribed, mode = choice_of(channel, member, chosen)
    return mode if subscribed else "off"


async def _offered(conn, member) -> list:
    return [c for c in await store.all_channels(conn) if audience.addresses(c.audience, member)]


async def _view(ctx: Ctx):
    t = ctx.t
    chosen = await store.subscriptions(ctx.conn, ctx.member.id)
    offered = await _offered(ctx.conn, ctx.member)
    lines = [t("<b>Channels (工作信息、政协动态、党建专栏 …)</b>"),
             t("Each channel: at once, in the weekly digest, or not subscribed. Press a channel to change it.")]
    buttons = []
    for channel in offered:
        now = _current(channel, ctx.member, chosen)
        name = channel_name(channel, t.lang)
        lines.append(t("· {channel}: {choice}", channel=name, choice=t.plain(CHOICE_LABELS[now])))
        mark = "✓ " if now != "off" else ""
        buttons.append([(f"{mark}{name} · {t.plain(CHOICE_LABELS[now])}", CHOOSE.pack(channel.id, NEXT[now]))])
    return "\n".join(lines), buttons


async def channels_command(ctx: Ctx) -> None:
    """/channels: the member's choice per channel."""
    text, buttons = await _view(ctx)
    await ctx.reply(text, buttons=buttons)


async def settings_part(ctx: Ctx) -> None:
    """The channels' part of /settings: the same choices, as a message of its own."""
    await channels_command(ctx)


async def on_choose(ctx: Ctx, fields: dict) -> None:
    t = ctx.t
    channel = await store.by_id(ctx.conn, fields["channel"])
    if channel is None or not audience.addresses(channel.audience, ctx.member):
        await ctx.answer(t.plain("This choice is not valid."), alert=True)
        return
    choice = fields["choice"]
    await store.set_subscription(ctx.conn, channel.id, ctx.member.id, choice != "off",
                                 "digest" if choice == "digest" else "instant", ctx.now)
    await ctx.answer(t.plain("Saved: {channel} — {choice}", channel=channel_name(channel, t.lang),
                             choice=t.plain(CHOICE_LABELS[choice])))
    text, buttons = await _view(ctx)
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)


async def recent(conn, member, since, until, lang: str, cache: dict) -> list[str]:
    """The digest's part: items of the window in the channels the member takes in the digest,
    under each channel's name, newest first — titles and links, never whole texts."""
    key = ("channels", since, until)
    if key not in cache:
        items = await store.published_between(conn, since, until)
        cache[key] = (items, {c.id: c for c in await store.all_channels(conn)},
                      await store.all_subscriptions(conn) if items else {})
    items, channels, chosen = cache[key]
    if not items:
        return []
    t = translator(lang)
    grouped: dict[int, list] = {}
    for item in items:
        channel = channels.get(item.channel_id)
        if channel is None or not audience.addresses(channel.audience, member):
            continue
        subscribed, mode = choice_of(channel, member, chosen)
        if subscribed and mode == "digest":
            grouped.setdefault(channel.id, []).append(item)
    if not grouped:
        return []
    lines = ["", t("<b>Channels</b>")]
    for channel_id in sorted(grouped, key=lambda c: (channels[c].position, c)):
        shown_items = grouped[channel_id]
        lines.append(f"<b>{html.escape(channel_name(channels[channel_id], lang))}</b>")
        for item in shown_items[:DIGEST_PER_CHANNEL]:
            link = f' <a href="{html.escape(item.link)}">🔗</a>' if item.link else ""
            lines.append(f"· {html.escape(item.title)}{link}")
        if len(shown_items) > DIGEST_PER_CHANNEL:
            lines.append(t("· and {count} more", count=len(shown_items) - DIGEST_PER_CHANNEL))
    return lines


async def personal_data(conn, member) -> dict:
    """For /mydata: the member's channel choices and the items that reached them."""
    channels = {c.id: c for c in await store.all_channels(conn)}
    chosen = await store.subscriptions(conn, member.id)
    consent = await store.consent(conn, member.id)
    return {"channel_subscriptions": {c.code: _current(c, member, chosen) for c in channels.values()
                                      if audience.addresses(c.audience, member)},
            "channel_items_received": [{"title": r.title, "sent_at": r.sent_at, "opened_at": r.opened_at}
                                       for r in await store.received_by(conn, member.id)],
            "profile_consent": None if consent is None else {"consent": consent.consent, "note": consent.note,
                                                             "recorded_at": consent.recorded_at}}
