"""What members do: rate a department's reply (满意 / 基本满意 / 不满意, always with a reason — a
不满意 reopens the item with a new deadline) and, after an inspection they signed up for, attach
findings (视察发现) to its items. Only the item's raisers rate, only the inspection's participants
add findings; a forged, stale or stranger's press is answered politely and changes nothing."""

from __future__ import annotations

from handlers.core import flows
from handlers.core.context import Ctx
from handlers.oversight import items as lifecycle
from handlers.core.localtime import shown
from handlers.oversight.common import (FIND_FLOW, NOT_NOW, NOT_PARTICIPANT, NOT_YOURS, RATABLE, RATE_FLOW, RATED,
                                       RATING_CODES, RATINGS, REASON_LIMIT, UNSATISFIED)
from storage import oversight as store
from storage import study as study_store
from storage.conversations import Conversation

FINDING_LIMIT = 2000


async def on_rate(ctx: Ctx, fields: dict) -> None:
    item = await store.by_id(ctx.conn, fields["item"])
    if item is None or ctx.member is None or ctx.member.id not in item.raisers:
        await ctx.answer(ctx.t.plain(NOT_YOURS), alert=True)
        return
    if item.status not in RATABLE or item.round != fields["round"]:
        await ctx.answer(ctx.t.plain(NOT_NOW), alert=True)
        return
    rating = RATING_CODES[fields["rating"]]
    await flows.suspend_into(ctx, RATE_FLOW, "reason", {"item": item.id, "round": item.round, "rating": rating})
    await ctx.reply(ctx.t("You chose: {rating}. Please send the reason in a few words (at most {limit} characters). "
                          "/cancel stops.", rating=ctx.t(RATINGS[rating]), limit=REASON_LIMIT))
    await ctx.answer()


async def on_rate_text(ctx: Ctx, conv: Conversation) -> None:
    reason = await flows.text_input(ctx)
    if reason is None:
        return
    if len(reason) > REASON_LIMIT:
        await ctx.reply(ctx.t("The reason has at most {limit} characters. Please shorten it.", limit=REASON_LIMIT))
        return
    item = await store.by_id(ctx.conn, conv.data["item"], lock=True)
    await flows.resume(ctx, conv)
    if item is None or ctx.member.id not in item.raisers:
        await ctx.reply(ctx.t(NOT_YOURS))
        return
    if item.status not in RATABLE or item.round != conv.data["round"]:
        await ctx.reply(ctx.t(NOT_NOW))
        return
    rating = conv.data["rating"]
    await store.rate(ctx.conn, item.id, item.round, ctx.member.id, rating, reason, ctx.now)
    actor = f"member:{ctx.member.id}"
    if rating == UNSATISFIED:
        item = await lifecycle.reopen(ctx, item, actor, reason)
        await ctx.reply(ctx.t("Thank you. The item is reopened: the department must reply again by {due}.",
                              due=shown(item.due_at)))
        return
    rated = {row.member_id for row in await store.ratings(ctx.conn, item.id, item.round)}
    if item.status != RATED and set(item.raisers) <= rated:
        await lifecycle.move(ctx, item, RATED, actor, reason)
    await ctx.reply(ctx.t("✅ Thank you: your rating ({rating}) is recorded.", rating=ctx.t(RATINGS[rating])))


# --- findings of an inspection -----------------------------------------------------------------

async def _participant(ctx: Ctx, item_id: int, session_id: int) -> bool:
    if ctx.member is None or item_id not in {i.id for i in await store.items_of_session(ctx.conn, session_id)}:
        return False
    rsvp = await study_store.rsvp(ctx.conn, session_id, ctx.member.id)
    return rsvp is not None and (rsvp.status == "attending" or rsvp.checked_in_at is not None)


async def on_find(ctx: Ctx, fields: dict) -> None:
    if not await _participant(ctx, fields["item"], fields["session"]):
        await ctx.answer(ctx.t.plain(NOT_PARTICIPANT), alert=True)
        return
    item = await store.by_id(ctx.conn, fields["item"])
    if item.status == "closed":
        await ctx.answer(ctx.t.plain(NOT_NOW), alert=True)
        return
    await flows.suspend_into(ctx, FIND_FLOW, "text", {"item": item.id, "session": fields["session"]})
    await ctx.reply(ctx.t("📝 Your finding on «{subject}»: what did you see, what should change? Send it as one "
                          "message (at most {limit} characters). /cancel stops.", subject=item.subject,
                          limit=FINDING_LIMIT))
    await ctx.answer()


async def on_find_text(ctx: Ctx, conv: Conversation) -> None:
    text = await flows.text_input(ctx)
    if text is None:
        return
    if len(text) > FINDING_LIMIT:
        await ctx.reply(ctx.t("A finding has at most {limit} characters. Please shorten it.", limit=FINDING_LIMIT))
        return
    await flows.resume(ctx, conv)
    if not await _participant(ctx, conv.data["item"], conv.data["session"]):
        await ctx.reply(ctx.t(NOT_PARTICIPANT))
        return
    await store.add_finding(ctx.conn, item_id=conv.data["item"], session_id=conv.data["session"],
                            member_id=ctx.member.id, text=text, at=ctx.now)
    await ctx.reply(ctx.t("✅ Thank you: your finding is attached to the oversight item."))
