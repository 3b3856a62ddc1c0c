"""``/find WORDS``: liaisons and office admins look reports up by code, title or text. A liaison
finds only reports that are or were routed to a group they are a liaison of; authors are never
shown (a result line names no one), so an anonymous author stays anonymous."""

from __future__ import annotations

import html

from handlers.core.context import Ctx, clip, without_bidi_controls
from handlers.core.localtime import local
from handlers.reports import lifecycle
from storage import items as item_store
from storage import targets as target_store

MAX_RESULTS = 10
MAX_WORD_CHARS = 50


def words_of(text: str) -> list[str]:
    """The words to look for: at most a few, each of bounded length (the query stays small)."""
    return [w[:MAX_WORD_CHARS] for w in without_bidi_controls(text).split()][:item_store.MAX_SEARCH_WORDS]


def result_parts(item, lang: str) -> list[str]:
    """Code, title (or the observation's start, for reports from before titles), status, date."""
    return [item.code, item.title or clip(item.observation, 20), lifecycle.status_label(item.status, lang),
            local(item.created_at).strftime("%Y-%m-%d")]


def result_line(item, lang: str) -> str:
    code, *rest = result_parts(item, lang)
    return " · ".join([f"<b>{code}</b>", *map(html.escape, rest)])


async def find_command(ctx: Ctx) -> None:
    t = ctx.t
    member = ctx.member
    scope = None if member.role == "admin" else await target_store.liaison_target_ids(ctx.conn, member.id)
    if scope is not None and not scope:
        await ctx.reply(t("Sorry, /find is for liaisons and the city office. /my shows your own reports."))
        return
    words = words_of(ctx.event.command_args)
    if not words:
        await ctx.reply(t("Type what to look for after the command, for example: /find 停车 or /find SQ-2026-00012"))
        return
    found = await item_store.search(ctx.conn, words, target_ids=scope, limit=MAX_RESULTS + 1)
    if not found:
        await ctx.reply(t("No report you may see matches {words}.", words=" ".join(words)))
        return
    lines = [t("Reports matching {words}:", words=" ".join(words))]
    lines += [result_line(item, t.lang) for item in found[:MAX_RESULTS]]
    if len(found) > MAX_RESULTS:
        lines.append(t("Only the newest {count} are shown; add words to narrow the search.", count=MAX_RESULTS))
    await ctx.reply("\n".join(lines))
