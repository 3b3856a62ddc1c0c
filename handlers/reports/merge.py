"""A liaison merges a report into another on the same problem (合并): the merged report closes
with ``duplicate_of`` = the original, both carry an event, and the merged report's author and
co-signers are told and from then on follow the original (handlers/reports/duplicates.py,
``tell_followers``). The original is picked from the similar reports the liaison's group has
seen, or typed by code; a code of a report the group never had is refused exactly like one that
does not exist, so codes cannot be probed."""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.core.buttons import db_id
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from handlers.reports import duplicates, lifecycle, similar, transitions
from storage import cosign as cosign_store
from storage import duplicates as store
from storage import items as item_store
from storage import people

CODE = re.compile(r"^SQ-\d{4}-\d{5}$", re.IGNORECASE)
WINDOW = timedelta(days=90)  # how far back merge candidates are offered (any code may be typed)


async def candidates(ctx: Ctx, item, target) -> list:
    """The reports this target has had that read like ``item``, best first."""
    seen = await store.seen_at_target(ctx.conn, target.id, since=ctx.now - WINDOW, besides=item.id)
    return similar.like(item, seen)


def prompt(ctx: Ctx, item, found: list) -> str:
    t = ctx.t
    lines = [t("Merge {code} into which report? The merged report is closed, and its member and co-signers "
               "follow the original's progress.", code=item.code)]
    if found:
        lines.append(t("Similar reports your group has had:"))
        lines += [f"{n}. {duplicates.summary(c, t.lang)}" for n, c in enumerate(found, 1)]
    lines.append(t("Press one, or type the code of the original (e.g. SQ-2026-00001)."))
    return "\n".join(lines)


async def _root(conn, item):
    """A merged report's own original: merging into it means merging into that one."""
    while item is not None and item.duplicate_of is not None:
        item = await item_store.by_id(conn, item.duplicate_of)
    return item


async def original(ctx: Ctx, item, target, *, code: str | None = None, item_id: str | None = None):
    """The report to merge ``item`` into, by typed code or pressed id, or None: unknown, never at
    this target, withdrawn, or ``item`` itself (one answer for all)."""
    if code is not None:
        found = await item_store.by_code(ctx.conn, code) if CODE.match(code) else None
    else:
        found = await item_store.by_id(ctx.conn, wanted) if (wanted := db_id(item_id)) is not None else None
    if found is None or not await store.was_at(ctx.conn, found.id, target.id):
        return None
    found = await _root(ctx.conn, found)
    return None if found is None or found.id == item.id or found.status == "withdrawn" else found


async def merge(ctx: Ctx, item, into, target) -> None:
    """Close ``item`` as merged into ``into``; what was merged into ``item`` follows ``into`` too."""
    actor = ctx.member.id
    await store.repoint(ctx.conn, item.id, into.id, ctx.now)
    await transitions.move(ctx, item, "duplicate", "merged", actor_id=actor, target_id=target.id, reason=into.code,
                           outcome="duplicate", duplicate_of=into.id)
    item = await item_store.by_id(ctx.conn, item.id)
    await transitions.move(ctx, item, "closed", "closed", actor_id=actor, target_id=target.id, closed_at=ctx.now)
    await transitions.move(ctx, into, None, "merged_in", actor_id=actor, target_id=target.id, reason=item.code)
    told = {item.author_id} | {r.member_id for r in await cosign_store.of_item(ctx.conn, item.id)
                               if r.status == "signed"}
    for member_id in sorted(told):
        member = await people.by_id(ctx.conn, member_id)
        if member is None or member.telegram_user_id is None:
            continue
        t = translator(member.language)
        await ctx.send(member.telegram_user_id, t(
            "🔗 {code} was merged into {original}, which is about the same problem. From now on you are told of "
            "its progress. Its state now: {status}", code=item.code, original=into.code,
            status=lifecycle.status_label(into.status, t.lang)))
    if into.author_id not in told:  # the original's author hears who now follows theirs (by code only)
        await lifecycle.notify_author(ctx, into, N_("🔗 {other}, a report on the same problem, was merged into {code}: "
                                                    "its member and co-signers now follow yours."), other=item.code)
    await ctx.reply(ctx.t("🔗 {code} was merged into {original}.", code=item.code, original=into.code))


async def merged_line(conn, item, lang: str) -> str | None:
    """For /my: where a merged report went, and how that one stands."""
    if item.duplicate_of is None:
        return None
    into = await item_store.by_id(conn, item.duplicate_of)
    t = translator(lang)
    return t("🔗 Merged into {code}, which is now: {status}", code=into.code,
             status=lifecycle.status_label(into.status, lang))
