"""The same problem reported twice. In the submit flow, once the member has described what they
saw, the open reports of the last 90 days on the same topic and place that read alike
(handlers/reports/similar.py) are shown — title or code, status and date, never who wrote them —
and the member may co-sign (联名) one of them instead of submitting their own: they are signed at
once, the draft is discarded, and they follow that report from then on.

Following: besides its author, a report's co-signers and the authors and co-signers of the
reports merged into it (handlers/reports/merge.py) hear of every change of its state."""

from __future__ import annotations

import html
from datetime import timedelta

from handlers.core import flows
from handlers.core.buttons import db_id
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local
from handlers.reports import cosign, lifecycle, similar
from storage import conversations
from storage import cosign as cosign_store
from storage import duplicates as store
from storage import items as item_store
from storage.conversations import Conversation

WINDOW = timedelta(days=90)  # how far back a suggestion looks
MINE = "mine"  # the step's value for "continue with my own report"


def summary(item, lang: str) -> str:
    """One line for a list of reports: code, title, status, date (no author)."""
    title = f" · {html.escape(item.title)}" if getattr(item, "title", None) else ""
    return (f"<b>{item.code}</b>{title} · {lifecycle.status_label(item.status, lang)} · "
            f"{local(item.created_at).strftime('%Y-%m-%d')}")


async def find(ctx: Ctx, conv: Conversation) -> bool:
    """The step's skip rule: looks for similar open reports and keeps their ids in the draft;
    True (skip the step) when there are none."""
    data = conv.data
    candidates = await store.open_in_place(ctx.conn, topic=data["topic"], since=ctx.now - WINDOW,
                                           district=None if data["area"] == "city" else data.get("district"))
    data["similar"] = [item.id for item in similar.most_similar(data["observation"], candidates,
                                                                 title=data.get("title"))]
    return not data["similar"]


async def _shown(ctx: Ctx, conv: Conversation) -> list:
    return await item_store.by_ids(ctx.conn, conv.data.get("similar", []))


async def _joinable(ctx: Ctx, shown: list) -> list:
    """The reports of ``shown`` the member may co-sign now: not their own, still open, room left."""
    me = ctx.member.id
    open_ = [item for item in shown if item.author_id != me and item.status in item_store.OPEN
             and item.duplicate_of is None]
    taken = await cosign_store.taken(ctx.conn, [item.id for item in open_])
    return [item for item in open_ if len(taken[item.id]) < cosign.MAX_COSIGNERS or me in taken[item.id]]


async def prompt(ctx: Ctx, conv: Conversation) -> str:
    t = ctx.t
    lines = [t("<b>Similar reports already under way</b> (the last 90 days, same topic and place). If one "
               "of them is about your problem, you can co-sign (联名) it instead of submitting your own: "
               "you will be told of its progress.")]
    for number, item in enumerate(await _shown(ctx, conv), 1):
        mine = " " + t("(your own report)") if item.author_id == ctx.member.id else ""
        lines.append(f"{number}. {summary(item, t.lang)}{mine}")
    return "\n".join(lines)


async def choices(ctx: Ctx, conv: Conversation) -> flows.Choices:
    t = ctx.t
    rows = [[(t.plain("✍ Co-sign {code} instead", code=item.code), str(item.id))]
            for item in await _joinable(ctx, await _shown(ctx, conv))]
    return [*rows, [(t.plain("Continue with my own report"), MINE)]]


async def choose(ctx: Ctx, conv: Conversation, value: str) -> bool:
    """Continue, or co-sign one of the reports shown (only those, and only if still allowed)."""
    if value == MINE:
        return True
    item_id = db_id(value)
    item = await item_store.by_id(ctx.conn, item_id) if item_id in conv.data.get("similar", []) else None
    if item is None or not await _joinable(ctx, [item]):
        return False
    if await cosign_store.sign_up(ctx.conn, item.id, ctx.member.id, ctx.now):
        await lifecycle.notify_author(ctx, item, N_("{name} co-signed {code}."), name=ctx.member.name)
        await lifecycle.refresh_cards(ctx, item.id)
    conv.data["joined"] = item.id  # the flow ends here (``after``)
    await conversations.clear(ctx.conn, ctx.event.user_id)
    await ctx.reply(ctx.t("✍ You co-signed (联名) {code}; your draft was discarded. You will be told of its "
                          "progress.", code=item.code))
    return True


def after(next_step: str):
    """The step after this one, unless the member co-signed instead (then the flow has ended)."""
    return lambda conv: None if conv.data.get("joined") else next_step


# --- followers -----------------------------------------------------------------------

async def tell_followers(ctx: Ctx, item_id: int) -> None:
    """``Feature.on_item_moved``: when a report's state changes, its followers hear of it (its
    author is told by the move itself)."""
    item = await item_store.by_id(ctx.conn, item_id)
    if item.duplicate_of is not None:
        return  # merged: its people follow the original, and were told of the merge
    event = (await item_store.events(ctx.conn, item_id))[-1]
    if event.status_to is None or event.status_to == event.status_from:
        return
    for member in await store.followers(ctx.conn, item_id):
        if member.id == item.author_id:
            continue
        t = translator(member.language)
        text = t("🔔 {code}, which you follow: {status}", code=item.code, status=lifecycle.status_label(
            item.status, t.lang))
        if event.reason and event.kind in lifecycle.REASONS_SHOWN:
            text += " — " + html.escape(event.reason)
        await ctx.send(member.telegram_user_id, text)
