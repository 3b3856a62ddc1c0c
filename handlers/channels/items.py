"""Channel items: who may post, and what a post does — published now or at a time (timer
``channel:item:{id}:publish``), kept as a draft, edited or withdrawn; delivery to the channel's
instant subscribers (the rest see it in their digest), and the 📖 阅读全文 button that counts it
opened.

Every member's copy is an outbox row keyed ``chan:{item}:{member}``: an edit is an
``editMessageText`` (or ``editMessageCaption``, for an item with a photo or a document) of that
message; a withdrawal deletes it within Telegram's 48 hours and replaces its text after them.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from pathlib import Path

from handlers.core import audience, roles
from handlers.core.buttons import ButtonData, pressed_on
from handlers.core.context import Ctx, clip, telegram_len
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from storage import audit, outbox, people
from storage import channels as store

OPEN = ButtonData("chi", item=int)  # a recipient's 📖 阅读全文
TITLE_LIMIT = 100
BODY_LIMIT = 3500
LINK_LIMIT = 1000
SUMMARY_UNITS = 500  # of the body, in the message a member receives (the rest: 阅读全文)
CAPTION_LIMIT = 1024
DELETE_HOURS = 48  # Telegram deletes a bot's message only this long after it was sent
STATES = ("draft", "scheduled", "published", "withdrawn")
KINDS = ("post", "profile", "feed")


class ChannelError(AdminError):
    """A channel operation refused (the message says why, for the command line)."""


def channel_name(channel, lang: str) -> str:
    return channel.name_zh if lang == "zh" else channel.name_en


def message_key(item_id: int, member_id: int) -> str:
    return f"chan:{item_id}:{member_id}"


def publish_key(item_id: int) -> str:
    return f"channel:item:{item_id}:publish"


# --- who may do what ----------------------------------------------------------------------------

def in_scope(member, channel) -> bool:
    """Could this member edit the channel at all: a district channel's editors are that
    district's; a city channel's are city-level (the office's staff). Office admins: every channel."""
    if roles.is_admin(member):
        return True
    if member is None or not member.active:
        return False
    if channel.district_code is not None:
        return member.district_code == channel.district_code
    return member.level == "city"


async def may_edit(conn, member, channel) -> bool:
    """An office admin, or a listed editor within the channel's scope — checked on every action."""
    if roles.is_admin(member):
        return True
    return in_scope(member, channel) and channel.id in await store.edited_by(conn, member.id)


async def editable_channels(conn, member) -> list:
    return [c for c in await store.all_channels(conn) if await may_edit(conn, member, c)]


async def add_editor(ctx: Ctx, channel_code: str, member_ref: str, actor: str) -> tuple:
    channel = await channel_by_code(ctx.conn, channel_code)
    member = await people.find(ctx.conn, member_ref)
    if member is None:
        raise ChannelError("no member {member_ref!r}", member_ref=member_ref)
    if not in_scope(member, channel):
        where = f"district {channel.district_code}" if channel.district_code else "the city level"
        raise ChannelError("{roster_id} cannot edit {code}: its editors are staff of {where}",
                           roster_id=member.roster_id, code=channel.code, where=where)
    await store.add_editor(ctx.conn, channel.id, member.id, ctx.now)
    await audit.record(ctx.conn, actor, "channel.editor.add", {"channel": channel.code, "member": member.roster_id},
                       ctx.now)
    return channel, member


async def channel_by_code(conn, code: str):
    channel = await store.by_code(conn, code)
    if channel is None:
        known = ", ".join(c.code for c in await store.all_channels(conn))
        raise ChannelError("no channel {code!r} (channels: {known})", code=code, known=known)
    return channel


# --- subscriptions -------------------------------------------------------------------------------

def default_choice(channel, member) -> tuple[bool, str]:
    """Without a choice of their own: the city channels and one's own district's, instantly."""
    return (channel.district_code is None or channel.district_code == member.district_code), "instant"


def choice_of(channel, member, chosen: dict) -> tuple[bool, str]:
    """(subscribed, mode) — ``chosen`` maps channel id (or (channel, member)) to the member's choice."""
    found = chosen.get(channel.id, chosen.get((channel.id, member.id)))
    return found if found is not None else default_choice(channel, member)


# --- what a member receives -------------------------------------------------------------------------

def _lines(channel, item, lang: str, *, body_units: int | None, with_body: bool = True) -> list[str]:
    head = "🌟" if item.kind == "profile" else "🗞"
    lines = [f"{head} <b>{html.escape(channel_name(channel, lang))}</b>", f"<b>{html.escape(item.title)}</b>"]
    body = (item.body or "") if with_body else ""
    if body:
        lines += ["", html.escape(clip(body, body_units) if body_units else body)]
    if item.link:
        lines += ["", "🔗 " + html.escape(item.link)]
    return lines


def render(channel, item, lang: str, *, full: bool = False) -> str:
    """A member's copy: the channel, the title, the start of the text (all of it with ``full``), the link."""
    if item.status == "withdrawn":
        return translator(lang)("This item was withdrawn by the editors of {channel}.",
                                channel=channel_name(channel, lang))
    return "\n".join(_lines(channel, item, lang, body_units=None if full else SUMMARY_UNITS))


def caption(channel, item, lang: str) -> str:
    """The same within a caption's 1,024 units: the text is shortened further when needed."""
    if item.status == "withdrawn":
        return render(channel, item, lang)
    without = "\n".join(_lines(channel, item, lang, body_units=None, with_body=False))
    room = CAPTION_LIMIT - telegram_len(without) - 4
    if room < 20 or not item.body:
        return clip(without, CAPTION_LIMIT) if telegram_len(without) > CAPTION_LIMIT else without
    return "\n".join(_lines(channel, item, lang, body_units=min(room, SUMMARY_UNITS)))


def _buttons(item, lang: str):
    if item.status == "withdrawn":
        return []
    return [[(translator(lang).plain("📖 Read in full"), OPEN.pack(item.id))]]


async def instant_recipients(conn, channel) -> list:
    """The channel's audience who chose (or by default get) its items at once, reachable."""
    chosen = await store.subscriptions_of_channel(conn, channel.id)
    found = []
    for member in await people.in_audience(conn, channel.audience):
        if not (member.active and member.reachable and member.telegram_user_id):
            continue
        subscribed, mode = chosen.get(member.id) or default_choice(channel, member)
        if subscribed and mode == "instant":
            found.append(member)
    return found


async def _deliver(ctx: Ctx, channel, item) -> int:
    recipients = await instant_recipients(ctx.conn, channel)
    await store.add_receipts(ctx.conn, item.id, [m.id for m in recipients], ctx.now)
    for member in recipients:
        key = message_key(item.id, member.id)
        if item.file:
            method, field = ("sendPhoto", "photo") if item.file["kind"] == "photo" else ("sendDocument", "document")
            await ctx.call(method, {"chat_id": member.telegram_user_id, field: item.file["value"],
                                    "caption": caption(channel, item, member.language), "parse_mode": "HTML",
                                    "reply_markup": _keyboard(item, member.language)},
                           chat_id=member.telegram_user_id, key=key, priority=outbox.BULK)
        else:
            await ctx.send(member.telegram_user_id, render(channel, item, member.language),
                           buttons=_buttons(item, member.language), key=key, priority=outbox.BULK)
    return len(recipients)


def _keyboard(item, lang: str) -> dict:
    from handlers.core.context import keyboard
    return keyboard(_buttons(item, lang))


async def publish(ctx: Ctx, item_id: int, *, from_status: str, deliver: bool = True) -> int | None:
    """Publish an item that is still ``from_status``: delivered to instant subscribers (unless not
    ``deliver``: then only the digests list it); None when it was not (withdrawn, published already)."""
    if not await store.publish_if(ctx.conn, item_id, from_status, ctx.now):
        return None
    if not deliver:
        return 0
    item = await store.item(ctx.conn, item_id)
    return await _deliver(ctx, await store.by_id(ctx.conn, item.channel_id), item)


def _checked(title: str, body: str, link: str | None) -> tuple[str, str, str | None]:
    title, body, link = (title or "").strip(), (body or "").strip(), (link or "").strip() or None
    if not title:
        raise ChannelError("an item needs a title")
    if len(title) > TITLE_LIMIT:
        raise ChannelError("the title is {length} characters; the limit is {title_limit}",
                           length=len(title), title_limit=TITLE_LIMIT)
    if len(body) > BODY_LIMIT:
        raise ChannelError("the text is {length} characters; the limit is {body_limit}",
                           length=len(body), body_limit=BODY_LIMIT)
    if link is not None and (len(link) > LINK_LIMIT or not link.startswith(("https://", "http://"))):
        raise ChannelError("the link must be an http:// or https:// address of at most 1000 characters")
    return title, body, link


def file_spec(path: str | None) -> dict | None:
    """A local file for the command line's --file: a photo (jpg, png) or a document."""
    if not path:
        return None
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise ChannelError("no file {path}", path=path)
    kind = "photo" if file.suffix.lower() in (".jpg", ".jpeg", ".png") else "document"
    return {"kind": kind, "value": {"$file": str(file)}, "name": file.name}


async def post(ctx: Ctx, channel, *, title: str, body: str, link: str | None = None, file: dict | None = None,
               at: datetime | None = None, draft: bool = False, author=None, kind: str = "post",
               profile_member_id: int | None = None, feed_id: int | None = None,
               entry_id: str | None = None, deliver: bool = True) -> tuple[int, str, int]:
    """Post an item: (item id, its state, how many got it now). The author's rights are the
    caller's check (``may_edit``); a feed's entries have no author."""
    title, body, link = _checked(title, body, link)
    if kind == "profile":  # 委员风采: only with the member's recorded consent
        consent = profile_member_id and await store.consent(ctx.conn, profile_member_id)
        if not consent or not consent.consent:
            raise ChannelError("a member profile (委员风采) needs the member's consent: record it first with "
                               "linkage channel profile MEMBER --consent yes")
    if at is not None and at <= ctx.now:
        raise ChannelError("the publishing time must lie ahead (it is entered in Asia/Shanghai time)")
    status = "draft" if draft else "scheduled" if at is not None else "published"
    item_id = await store.create_item(
        ctx.conn, channel_id=channel.id, kind=kind, title=title, body=body, link=link, file=file,
        status="draft" if status == "published" else status, publish_at=at, author_id=author.id if author else None,
        profile_member_id=profile_member_id, feed_id=feed_id, entry_id=entry_id, created_at=ctx.now)
    if status == "scheduled":
        await ctx.schedule(publish_key(item_id), "channel_publish", at, payload={"item": item_id})
        return item_id, status, 0
    if status == "draft":
        return item_id, status, 0
    return item_id, "published", await publish(ctx, item_id, from_status="draft", deliver=deliver)


async def publish_job(ctx: Ctx, timer) -> None:
    """The scheduled time came: publish unless the item was withdrawn or published meanwhile."""
    await publish(ctx, timer.payload["item"], from_status="scheduled")


async def release(ctx: Ctx, item_id: int) -> int:
    """A draft published now."""
    count = await publish(ctx, item_id, from_status="draft")
    if count is None:
        raise ChannelError("item #{item_id} is not a draft", item_id=item_id)
    return count


async def edit(ctx: Ctx, item_id: int, *, title: str | None = None, body: str | None = None,
               link: str | None = None) -> int:
    """Change an item; what members received is edited in place. Returns the copies edited."""
    item = await item_or_error(ctx.conn, item_id)
    if item.status == "withdrawn":
        raise ChannelError("item #{item_id} was withdrawn; it cannot be edited", item_id=item_id)
    new_title, new_body, new_link = _checked(item.title if title is None else title,
                                             item.body if body is None else body,
                                             item.link if link is None else link)
    await store.update_item(ctx.conn, item_id, title=new_title, body=new_body, link=new_link, edited_at=ctx.now)
    return await _update_copies(ctx, item_id)


async def withdraw(ctx: Ctx, item_id: int) -> int:
    """Withdraw an item: a scheduled one never goes out; copies are deleted (within 48 hours) or
    say it was withdrawn. Returns the copies changed."""
    item = await item_or_error(ctx.conn, item_id)
    if item.status == "withdrawn":
        raise ChannelError("item #{item_id} was withdrawn already", item_id=item_id)
    await store.update_item(ctx.conn, item_id, status="withdrawn", withdrawn_at=ctx.now)
    return await _update_copies(ctx, item_id)


async def _update_copies(ctx: Ctx, item_id: int) -> int:
    item = await store.item(ctx.conn, item_id)
    channel = await store.by_id(ctx.conn, item.channel_id)
    receipts = await store.receipts(ctx.conn, item_id)
    keys = {message_key(item_id, r.member_id) for r in receipts}
    # a withdrawn item's copies still queued never go out (a digest's backlog may hold them for minutes)
    cancelled = (await outbox.cancel_pending(ctx.conn, keys, "withdrawn", ctx.now)
                 if item.status == "withdrawn" else set())
    sent = await outbox.message_ids_for(ctx.conn, keys)
    changed = len(cancelled)
    for r in receipts:
        status, message_id = sent.get(message_key(item_id, r.member_id), (None, None))
        if status not in ("pending", "sending", "sent") or r.telegram_user_id is None:
            continue  # never delivered (the member blocked the bot): nothing to change
        ref = message_id if message_id is not None else {"$ref": message_key(item_id, r.member_id)}
        chat = r.telegram_user_id
        if item.status == "withdrawn" and ctx.now - r.sent_at < timedelta(hours=DELETE_HOURS):
            await ctx.call("deleteMessage", {"chat_id": chat, "message_id": ref}, chat_id=chat)
        elif item.file:
            await ctx.call("editMessageCaption", {"chat_id": chat, "message_id": ref,
                                                  "caption": caption(channel, item, r.language), "parse_mode": "HTML",
                                                  "reply_markup": _keyboard(item, r.language)}, chat_id=chat)
        else:
            await ctx.edit(chat, ref, render(channel, item, r.language), buttons=_buttons(item, r.language))
        changed += 1
    return changed


async def item_or_error(conn, item_id: int):
    item = await store.item(conn, item_id)
    if item is None:
        raise ChannelError("no channel item #{item_id}", item_id=item_id)
    return item


# --- the member's button ------------------------------------------------------------------------

async def on_open(ctx: Ctx, fields: dict) -> None:
    """📖 阅读全文: only a recipient, only on the copy they received; opened is counted once."""
    t = ctx.t
    item = await store.item(ctx.conn, fields["item"])
    receipt = item and await store.receipt(ctx.conn, item.id, ctx.member.id)
    if not receipt:
        await ctx.answer(t.plain("This button is not valid."), alert=True)
        return
    key = message_key(item.id, ctx.member.id)
    sent = (await outbox.message_ids_for(ctx.conn, {key})).get(key, (None, None))
    if not pressed_on(ctx.event.message_id, sent, in_its_chat=ctx.event.chat_id == ctx.event.user_id):
        await ctx.answer(t.plain("This button is not valid."), alert=True)
        return
    if item.status == "withdrawn":
        await ctx.answer(t.plain("This item was withdrawn."), alert=True)
        return
    await store.mark_opened(ctx.conn, item.id, ctx.member.id, ctx.now)
    await ctx.answer()
    channel = await store.by_id(ctx.conn, item.channel_id)
    await ctx.reply(render(channel, item, t.lang, full=True))


# --- read counts ---------------------------------------------------------------------------------

async def stats(conn, item_id: int) -> dict:
    item = await item_or_error(conn, item_id)
    channel = await store.by_id(conn, item.channel_id)
    received, opened = await store.counts(conn, item_id)
    return {"item": item, "channel": channel, "received": received, "opened": opened}


def stats_line(info: dict, lang: str) -> str:
    t = translator(lang)
    item = info["item"]
    when = shown(item.published_at or item.publish_at or item.created_at)
    return t("#{id} {when} · {channel} · {title} — {state}; received {received}, opened {opened}",
             id=item.id, when=when, channel=channel_name(info["channel"], lang), title=item.title,
             state=t.plain(STATE_LABELS[item.status]), received=info["received"], opened=info["opened"])


STATE_LABELS = {"draft": N_("draft"), "scheduled": N_("scheduled"), "published": N_("published"),
                "withdrawn": N_("withdrawn")}


def audience_of(channel) -> str:
    return audience.audience_text(channel.audience)
