"""``/guide``: the new member's guide (新委员履职指南) — the questions new members asked at the
training class (how to study, how to build duty skills, how to write a proposal and a 社情民意信息,
with the checklist for a good one), as short pages the office writes and edits
(``linkage guide list|show|edit``). The index is a row of buttons per page; a page opens in
place, with the way back and on. A page is kept in Chinese and English; a member reads their
language, the Chinese where the English is missing."""

from __future__ import annotations

import re

from handlers.core.buttons import ButtonData
from handlers.core.context import TEXT_LIMIT, Ctx, telegram_len
from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from handlers.serving import markup
from storage import audit
from storage import serving as store

PAGE = ButtonData("gd", refusal=N_("This page of the guide is no longer there. Send /guide for the index."),
                  page=str)
INDEX = "index"
KEY = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
TITLE_LIMIT = 30  # a page's title is its button's label
FILE_LIMIT = 64 * 1024  # bytes: a guide page is a short text
LANGS = ("zh", "en")


async def pages(conn, lang: str) -> list:
    """Each page once, in the reader's language where it has one, else in Chinese."""
    chosen: dict[str, object] = {}
    for row in await store.guide_index(conn):
        if row.key not in chosen or row.lang == lang:
            chosen[row.key] = row
    return list(chosen.values())


def page_text(row) -> str:
    return f"📘 <b>{markup.to_html(row.title)}</b>\n\n{markup.to_html(row.body)}"


def index_buttons(rows) -> list:
    return [[(row.title, PAGE.pack(row.key))] for row in rows]


async def cmd_guide(ctx: Ctx) -> None:
    rows = await pages(ctx.conn, ctx.t.lang)
    if not rows:
        await ctx.reply(ctx.t("The guide has no pages yet."))
        return
    await ctx.reply(_index_text(ctx), buttons=index_buttons(rows))


def _index_text(ctx: Ctx) -> str:
    return ctx.t("📘 <b>A new member's guide (新委员履职指南)</b>\nChoose a page:")


async def on_page(ctx: Ctx, fields: dict) -> None:
    rows = await pages(ctx.conn, ctx.t.lang)
    if fields["page"] == INDEX:
        await ctx.answer()
        await ctx.edit(ctx.event.chat_id, ctx.event.message_id, _index_text(ctx), buttons=index_buttons(rows))
        return
    keys = [row.key for row in rows]
    if fields["page"] not in keys:
        await ctx.answer(ctx.t.plain(PAGE.refusal), alert=True)
        return
    at = keys.index(fields["page"])
    buttons = [(ctx.t.plain("◀ Contents"), PAGE.pack(INDEX))]
    if at + 1 < len(rows):
        buttons.append((clip_label(rows[at + 1].title) + " ▶", PAGE.pack(rows[at + 1].key)))
    await ctx.answer()
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, page_text(rows[at]), buttons=[buttons])


def clip_label(title: str) -> str:
    return title if len(title) <= 12 else title[:11] + "…"


# --- the office's side (linkage guide …) ------------------------------------------------------

async def listing(conn) -> list[str]:
    """One line per page: its key, position, languages and titles, and when it was last edited."""
    by_key: dict[str, list] = {}
    for row in await store.guide_index(conn):
        by_key.setdefault(row.key, []).append(row)
    return [f"{key:<12} " + " | ".join(f"{r.lang}: {r.title} ({telegram_len(page_text(r))} chars, "
                                       f"{r.updated_by} {r.updated_at:%Y-%m-%d})" for r in rows)
            for key, rows in by_key.items()]


async def show(conn, key: str, lang: str) -> str:
    """A page as the office wrote it: the title as its first ``#`` line, then the body."""
    row = await store.guide_page(conn, key, lang)
    if row is None:
        raise AdminError("there is no guide page {key!r} in {lang} (see `linkage guide list`)",
                         key=key, lang=lang)
    return f"# {row.title}\n\n{row.body}\n"


def parse_page(raw: bytes, *, title: str | None = None) -> tuple[str, str]:
    """A page file: UTF-8 text, its first ``# heading`` line the title; returns (title, body) or
    raises what is wrong with it."""
    if len(raw) > FILE_LIMIT:
        raise AdminError("the file has {size} bytes; a guide page is at most {file_limit} (a short text)",
                         size=len(raw), file_limit=FILE_LIMIT)
    if b"\x00" in raw:
        raise AdminError("the file is not text (it holds NUL bytes): give a UTF-8 Markdown or text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AdminError("the file is not UTF-8 text: save it as UTF-8 (Markdown or plain text)") from None
    heading, body = markup.title_and_body(text)
    title = (heading or title or "").strip()
    if not body.strip():
        raise AdminError("the page has no text under its title")
    if not title:
        raise AdminError("the page needs a title: start the file with a line '# Title'")
    if len(title) > TITLE_LIMIT:
        raise AdminError("the title has {length} characters; it is a button's label: at most {title_limit}",
                         length=len(title), title_limit=TITLE_LIMIT)
    return title, body


async def edit(conn, key: str, raw: bytes, lang: str, now, *, actor: str) -> int:
    """Replace (or add) a page in one language from a file; audited. Refused when the page would
    not fit one Telegram message (4,096 characters as Telegram counts them). Returns its length."""
    if not KEY.match(key):
        raise AdminError("a page's name is lower-case letters, digits and _ (at most 24), not {key!r}",
                         key=key)
    if lang not in LANGS:
        raise AdminError("the language is zh or en, not {lang!r}", lang=lang)
    existing = await store.guide_page(conn, key, lang)  # a file without "# title" keeps the page's
    title, body = parse_page(raw, title=existing.title if existing is not None else None)
    length = telegram_len(page_text(_Row(title, body)))
    if length > TEXT_LIMIT:
        raise AdminError("the page is {length} characters as Telegram counts them; one message holds "
                         "{text_limit}: shorten it by {excess}, or split it into two pages",
                         length=length, text_limit=TEXT_LIMIT, excess=length - TEXT_LIMIT)
    await store.put_guide_page(conn, key, lang, now, title=title, body=body, actor=actor)
    await audit.record(conn, actor, "guide.edit", {"page": key, "lang": lang, "chars": length}, now)
    return length


class _Row:
    def __init__(self, title: str, body: str):
        self.title, self.body = title, body


def seed_rows(data: dict) -> list[dict]:
    """seeds/guide.yaml: a page per entry with its zh and en text, in the index's order."""
    rows = []
    for position, page in enumerate(data.get("pages") or [], start=1):
        key = page["key"]
        if not KEY.match(key):
            raise AdminError("seeds/guide.yaml: bad page key {key!r}", key=key)
        for lang in LANGS:
            if page.get(lang):
                title, body = parse_page(page[lang].encode())
                if telegram_len(page_text(_Row(title, body))) > TEXT_LIMIT:
                    raise AdminError("seeds/guide.yaml: page {key} ({lang}) is over {text_limit} characters",
                                     key=key, lang=lang, text_limit=TEXT_LIMIT)
                rows.append({"key": key, "lang": lang, "position": position * 10, "title": title, "body": body})
    return rows

