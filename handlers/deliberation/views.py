"""What members read: ``/deliberations`` (the topics open to me), a topic's thread page by page
(pinned first, then newest first, five roots a page with their replies and the counts), and the
other features' views of deliberation: /my, the digest's coming-up and news, /mydata. A
contribution named to the committee only shows its alias to everyone outside the committee."""

from __future__ import annotations

from handlers.core import audience, roles
from handlers.core.context import Buttons, Ctx, clip
from handlers.core.i18n import translator
from handlers.core.localtime import local, shown
from handlers.deliberation.common import (ACT, CLOSED, NOT_INVITED, PAGE_SIZE, author, card, esc, is_open,
                                          may_take_part, question_label)
from handlers.deliberation.summary import counts
from storage import deliberation as store

ROOT_CHARS, REPLY_CHARS, REPLIES_SHOWN = 400, 160, 3


async def cmd_deliberations(ctx: Ctx) -> None:
    """/deliberations: each open topic the member is invited to (or runs: then with ⏹ to close it)."""
    shown_any = False
    for topic in await store.listing(ctx.conn, ("open",)):
        if may_take_part(ctx.member, topic) and is_open(topic, ctx.now):
            text, buttons = await card(ctx.conn, topic, ctx.t.lang,
                                       committee=roles.runs_committee(ctx.member, topic.committee_code))
            await ctx.reply(text, buttons=buttons)
            shown_any = True
    if not shown_any:
        await ctx.reply(ctx.t("No deliberation topic is open to you now."))


def _ordered_roots(rows) -> list:
    roots = [r for r in rows if r.parent_id is None]
    return sorted(roots, key=lambda r: (not r.pinned, -r.id))


async def page(ctx: Ctx, topic, number: int) -> tuple[str, Buttons]:
    """Page ``number`` (1…) of the topic's thread, as the sender may see it."""
    t = ctx.t
    committee = roles.runs_committee(ctx.member, topic.committee_code)
    rows = await store.visible(ctx.conn, topic.id)
    roots = _ordered_roots(rows)
    pages = max(1, -(-len(roots) // PAGE_SIZE))
    number = min(max(number, 1), pages)
    lines = [t("📖 <b>{title}</b> · page {page} of {pages}", title=topic.title, page=number, pages=pages),
             t("{contributions} contributions, {replies} replies, {participants} participants", **counts(rows))]
    if not is_open(topic, ctx.now):
        lines.append(t(CLOSED))
    open_now = is_open(topic, ctx.now)
    buttons: Buttons = []
    for root in roots[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]:
        head = ("📌 " if root.pinned else "") + f"#{root.number} " + await author(ctx.conn, root, t.lang,
                                                                                 committee=committee)
        lines += ["", f"{head} · {local(root.created_at):%m-%d %H:%M}",
                  f"<i>{question_label(t, topic, root.question)}</i>", esc(clip(root.text, ROOT_CHARS))]
        replies = [r for r in rows if r.parent_id == root.id]
        for r in replies[-REPLIES_SHOWN:]:
            name = await author(ctx.conn, r, t.lang, committee=committee)
            lines.append(f"  ↳ #{r.number} {name}: {esc(clip(r.text, REPLY_CHARS))}")
        if len(replies) > REPLIES_SHOWN:
            lines.append("  " + t("… and {count} earlier replies", count=len(replies) - REPLIES_SHOWN))
        if open_now:
            buttons.append([(t.plain("💬 Reply to #{number}", number=root.number), ACT.pack("reply", root.id))])
    if not roots:
        lines += ["", t("Nobody has given a view yet.")]
    nav = []
    if number > 1:
        nav.append((t.plain("◀ Newer"), ACT.pack("view", topic.id, number - 1)))
    if number < pages:
        nav.append((t.plain("Older ▶"), ACT.pack("view", topic.id, number + 1)))
    if nav:
        buttons.append(nav)
    if open_now:
        buttons.append([(t.plain("💬 Give my view"), ACT.pack("say", topic.id))])
    return "\n".join(lines), buttons


async def view(ctx: Ctx, fields: dict) -> None:
    """查看跟帖: the first page as a new message; the page buttons turn the page in place."""
    topic = await store.by_id(ctx.conn, fields["id"])
    if topic is None or not may_take_part(ctx.member, topic):
        await ctx.answer(ctx.t.plain(NOT_INVITED), alert=True)
        return
    text, buttons = await page(ctx, topic, fields["page"] or 1)
    if fields["page"] is None:
        await ctx.reply(text, buttons=buttons)
    else:
        await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)
    await ctx.answer()


# --- the other features' views -------------------------------------------------------------------

async def my_part(ctx: Ctx) -> None:
    """/my: the topics I contributed to (with my count) and the open ones I am invited to."""
    t = ctx.t
    mine: dict[int, list] = {}
    for row in await store.of_member(ctx.conn, ctx.member.id):
        if row.status != "withdrawn":
            mine.setdefault(row.deliberation_id, []).append(row)
    invited = [topic for topic in await store.listing(ctx.conn, ("open",))
               if may_take_part(ctx.member, topic) and is_open(topic, ctx.now) and topic.id not in mine]
    if not mine and not invited:
        return
    lines = [t("<b>Online deliberation (网络议政)</b>")]
    for rows in mine.values():
        lines.append(t("· «{title}»: {count} contributions of yours", title=rows[0].title, count=len(rows)))
    for topic in invited:
        lines.append(t("· «{title}» is open to you until {time}: /deliberations", title=topic.title,
                       time=shown(topic.closes_at)))
    await ctx.reply("\n".join(lines))


async def upcoming(conn, member, start, end, lang: str, cache: dict) -> list[str]:
    """The digest's coming-up: open topics closing in the window that the member is invited to."""
    key = ("deliberation", start, end)
    if key not in cache:
        cache[key] = await store.closing_between(conn, start, end)
    t = translator(lang)
    return ["· " + t("Topic <b>{title}</b> closes {time}", title=topic.title, time=shown(topic.closes_at))
            for topic in cache[key] if audience.addresses(topic.audience, member)]


async def recent(conn, member, since, until, lang: str, cache: dict) -> list[str]:
    """The digest's news: the conclusions (议政结论) of the window, for those the topic addressed."""
    key = ("deliberation.concluded", since, until)
    if key not in cache:
        cache[key] = await store.concluded_between(conn, since, until)
    found = [topic for topic in cache[key] if audience.addresses(topic.audience, member)]
    if not found:
        return []
    t = translator(lang)
    return ["", t("<b>Conclusions (议政结论)</b>")] + [
        f"· <b>{esc(topic.title)}</b>: {esc(clip(topic.conclusion, 200))}" for topic in found]


async def personal_data(conn, member) -> dict:
    """For /mydata: every contribution of the member, as written (hidden and withdrawn ones too)."""
    return {"deliberation_contributions": [
        {"topic": r.title, "number": r.number, "reply_to": r.parent_id, "text": r.text, "naming": r.naming,
         "status": r.status, "hidden_reason": r.hidden_reason, "written_at": r.created_at, "edited_at": r.edited_at}
        for r in await store.of_member(conn, member.id)]}
