"""Notices (通知公告): the office sends a notice to an audience, each recipient confirms with a
"Read" button, the sender sees read / unread counts, and those who have not read get one
reminder after a delay (timer ``notice:{id}:remind``, default ``notice_remind_hours`` = 24).

Office admins send from the command line (``linkage notice send``) or in chat (``/notice``: a
short private flow — audience, title, body, confirm); ``/notices`` lists the latest with their
counts. Every recipient's message is an outbox row keyed ``notice:{id}:{member_id}`` (the
reminder ``notice:{id}:remind:{member_id}``), sent at bulk priority. A press counts only from
the recipient, on the very message that carried the notice (or its reminder), and only once.
"""

from __future__ import annotations

import html
from datetime import timedelta

from handlers.core import audience
from handlers.core.audience import AUDIENCE_LABELS, audience_label, audience_text
from handlers.core import flows
from handlers.core.buttons import ButtonData, pressed_on
from handlers.core.flows import Step
from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.localtime import shown
from handlers.core.points import RecordSection
from handlers.core.i18n import N_, Html, translator
from storage import conversations, outbox, people
from storage import notices as store
from storage.conversations import Conversation

READ = ButtonData("nr", notice=int)  # a recipient's ✅ Read
# a choice in the office's notice flow (the steps: NOTICE)
STEP = ButtonData("nt", refusal=N_("This button is no longer valid."), step=("audience", "confirm"), value=str)
TITLE_LIMIT = 200
BODY_LIMIT = 3500
REMINDER_USEFUL_DAYS = 3  # a reminder that fell due while the bot was down is still sent this late



class NoticeError(AdminError):
    """A notice that cannot be sent (the message says why, in English, for the command line)."""


def message_key(notice_id: int, member_id: int) -> str:
    return f"notice:{notice_id}:{member_id}"


def reminder_key(notice_id: int, member_id: int) -> str:
    return f"notice:{notice_id}:remind:{member_id}"


def _render(notice, lang: str, *, reminder: bool = False, read_at=None) -> str:
    t = translator(lang)
    head = t("🔔 <b>Reminder: please read this notice</b>") if reminder else t("📢 <b>Notice</b>")
    lines = [head, f"<b>{html.escape(notice.title)}</b>", "", html.escape(notice.body)]
    if read_at is not None:
        lines += ["", t("✅ Read at {time}", time=shown(read_at))]
    return "\n".join(lines)


def _read_button(notice_id: int, lang: str):
    return [[(translator(lang).plain("✅ Read"), READ.pack(notice_id))]]


async def _reachable(conn, spec: dict) -> list:
    """The audience's members the bot can write to (not blocked)."""
    return [m for m in await people.in_audience(conn, spec) if m.reachable]


async def send_notice(ctx: Ctx, *, title: str, body: str, spec: dict, sender_id: int | None,
                      remind_after_hours: int | None = None) -> tuple[int, int]:
    """Send a notice to everyone the audience addresses now; returns (notice id, recipients)."""
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise NoticeError("a notice needs a title and a body", field="body" if title else "title")
    if len(title) > TITLE_LIMIT:
        raise NoticeError("the title is {length} characters; the limit is {title_limit}", field="title",
                          length=len(title), title_limit=TITLE_LIMIT)
    if len(body) > BODY_LIMIT:
        raise NoticeError("the body is {length} characters; the limit is {body_limit}", field="body",
                          length=len(body), body_limit=BODY_LIMIT)
    hours = ctx.config.notice_remind_hours if remind_after_hours is None else remind_after_hours
    if hours < 0:
        raise NoticeError("the reminder delay cannot be negative")
    recipients = await _reachable(ctx.conn, spec)
    if not recipients:
        raise NoticeError("nobody reachable is in the audience {audience_text}", field="audience",
                          audience_text=audience_text(spec))
    notice_id = await store.create(ctx.conn, title=title, body=body, audience=spec, sender_id=sender_id,
                                   remind_after_hours=hours or None, now=ctx.now,
                                   member_ids=[m.id for m in recipients])
    notice = await store.by_id(ctx.conn, notice_id)
    for member in recipients:
        await ctx.send(member.telegram_user_id, _render(notice, member.language),
                       buttons=_read_button(notice_id, member.language), key=message_key(notice_id, member.id),
                       priority=outbox.BULK)
    if hours:
        due = ctx.now + timedelta(hours=hours)
        await ctx.schedule(f"notice:{notice_id}:remind", "notice_remind", due, payload={"notice_id": notice_id},
                           expires_at=due + timedelta(days=REMINDER_USEFUL_DAYS))
    return notice_id, len(recipients)


async def remind(ctx: Ctx, timer) -> None:
    """One reminder to every recipient who has not read the notice (and is still reachable)."""
    notice = await store.by_id(ctx.conn, timer.payload["notice_id"])
    if notice is None:
        return
    waiting = [m for m in await store.unread(ctx.conn, notice.id)
               if m.active and m.reachable and m.telegram_user_id is not None]
    for member in waiting:
        await ctx.send(member.telegram_user_id, _render(notice, member.language, reminder=True),
                       buttons=_read_button(notice.id, member.language), key=reminder_key(notice.id, member.id),
                       priority=outbox.BULK)
    await store.mark_reminded(ctx.conn, notice.id, [m.id for m in waiting], ctx.now)


async def on_read(ctx: Ctx, fields: dict) -> None:
    """The Read button: recorded once, only by a recipient, only on the notice's own message."""
    t = ctx.t
    notice = await store.by_id(ctx.conn, fields["notice"])
    receipt = notice and await store.receipt(ctx.conn, notice.id, ctx.member.id)
    if not receipt:
        await ctx.answer(t.plain("This button is not valid."), alert=True)
        return
    keys = {message_key(notice.id, ctx.member.id): False, reminder_key(notice.id, ctx.member.id): True}
    sent = await outbox.message_ids_for(ctx.conn, set(keys))
    own_chat = ctx.event.chat_id == ctx.event.user_id  # where the notice and its reminder went
    in_flight_last = sorted(sent.items(), key=lambda kv: kv[1][0] == "sending")  # a recorded id first
    pressed = next((key for key, row in in_flight_last if pressed_on(ctx.event.message_id, row, in_its_chat=own_chat)),
                   None)
    if pressed is None:
        await ctx.answer(t.plain("This button is not valid."), alert=True)
        return
    if not await store.mark_read(ctx.conn, notice.id, ctx.member.id, ctx.now):
        await ctx.answer(t.plain("You have already confirmed reading this notice."))
        return
    await ctx.answer(t.plain("Thank you: recorded as read."))
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id,
                   _render(notice, t.lang, reminder=keys[pressed], read_at=ctx.now))


# --- office admins in chat ---------------------------------------------------------------

def _is_admin(ctx: Ctx) -> bool:
    return ctx.member is not None and ctx.member.role == "admin"


async def list_notices(ctx: Ctx) -> None:
    """/notices: the latest notices with how many have read them."""
    t = ctx.t
    if not _is_admin(ctx):
        await ctx.reply(t("Only office admins can see notices and their read receipts."))
        return
    rows = await store.recent(ctx.conn, limit=10)
    if not rows:
        await ctx.reply(t("No notices have been sent yet. /notice sends one."))
        return
    lines = [t("<b>Latest notices</b> (read / recipients)")]
    for row in rows:
        when = shown(row.created_at)
        lines.append(t("#{id} {when} · {title} — read {read}/{total}, unread {unread}", id=row.id, when=when,
                       title=row.title, read=row.read, total=row.recipients, unread=row.recipients - row.read))
    await ctx.reply("\n".join(lines))


async def start_flow(ctx: Ctx) -> None:
    """/notice: audience → title → body → confirm (the steps: NOTICE below)."""
    if not _is_admin(ctx):
        await ctx.reply(ctx.t("Only office admins can send notices."))
        return
    await NOTICE.prompt(ctx, await flows.suspend_into(ctx, NOTICE.name, NOTICE.first, {}))


async def _reachable_count(ctx: Ctx, spec: dict) -> int:
    return len(await _reachable(ctx.conn, spec))


async def _choose_audience(ctx: Ctx, conv: Conversation, typed: str) -> bool:
    t = ctx.t
    try:
        spec = audience.parse(typed)
    except AdminError:
        await ctx.reply(t("That audience is not valid. Examples: all, level:city, district:hongqiao, "
                          "committee:economic, sector:education, list:C001,C002."))
        return False
    if not await _reachable_count(ctx, spec):
        await ctx.reply(t("Nobody the bot can reach is in that audience. Choose another one."))
        return False
    conv.data.update(audience=spec)
    return True


async def _typed_audience(ctx: Ctx, conv: Conversation) -> bool:
    typed = await flows.text_input(ctx)
    return typed is not None and await _choose_audience(ctx, conv, typed)


async def _title_prompt(ctx: Ctx, conv: Conversation) -> str:
    return ctx.t("{count} members will receive it. Now send the title of the notice.",
                 count=await _reachable_count(ctx, conv.data["audience"]))


async def _take_title(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    if len(text) > TITLE_LIMIT:
        await ctx.reply(ctx.t("The title can have at most {limit} characters. Please send a shorter one.",
                              limit=TITLE_LIMIT))
        return False
    conv.data.update(title=text)
    return True


async def _take_body(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    conv.data.update(body=text)
    return True


async def _preview(ctx: Ctx, conv: Conversation) -> str:
    t = ctx.t
    spec = conv.data["audience"]
    hours = ctx.config.notice_remind_hours
    lines = [t("<b>Preview</b>"), t("To: {audience} ({count} members)",
                                    audience=Html(await audience_label(ctx.conn, spec, t.lang)),
                                    count=await _reachable_count(ctx, spec)),
             f"<b>{html.escape(conv.data['title'])}</b>", html.escape(conv.data["body"]), ""]
    lines.append(t("Those who have not read it get a reminder after {hours} hours.", hours=hours) if hours
                 else t("No reminder will be sent."))
    return "\n".join(lines)


async def _send(ctx: Ctx, conv: Conversation) -> bool:
    """Send the notice; the flow ends here either way (and an unfinished draft comes back)."""
    t = ctx.t
    try:
        notice_id, count = await send_notice(ctx, title=conv.data["title"], body=conv.data["body"],
                                             spec=conv.data["audience"], sender_id=ctx.member.id)
    except NoticeError:
        await ctx.reply(t("The notice could not be sent: nobody the bot can reach is in the audience now."))
        return True
    await flows.resume(ctx, conv)
    await ctx.reply(t("Notice #{id} is on its way to {count} members. /notices shows who has read it.",
                      id=notice_id, count=count))
    return True


NOTICE = flows.Flow("notice", STEP, [
    Step("audience", N_("<b>New notice.</b> Who should receive it? Choose below, or type an audience such as "
                        "district:hongqiao, committee:economic, sector:education or list:C001,C002. /cancel stops."),
         choices=[[(label, key)] for key, label in AUDIENCE_LABELS.items()], on_choice=_choose_audience,
         on_text=_typed_audience, next="title"),
    Step("title", _title_prompt, on_text=_take_title, next="body"),
    Step("body", N_("Now send the text of the notice."), on_text=_take_body, next="confirm"),
    flows.confirm_step("confirm", _preview, (N_("📢 Send"), "send"), _send, cancelled=N_("The notice was not sent."),
                       hint=N_("Please use the buttons above: send the notice, or cancel it.")),
], stale=N_("This button is no longer valid."))


async def on_button(ctx: Ctx, fields: dict) -> None:
    if not _is_admin(ctx):
        await ctx.answer(ctx.t.plain("Only office admins can send notices."), alert=True)
        return
    await NOTICE.on_button(ctx, fields)


async def on_flow_text(ctx: Ctx, conv: Conversation) -> None:
    if not _is_admin(ctx):
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t("Only office admins can send notices."))
        return
    await NOTICE.on_message(ctx, conv)


async def personal_data(conn, member) -> dict:
    """For /mydata (handlers/privacy.py): the notices sent to the member and when each was read."""
    return {"notices": [{"title": r.title, "sent_at": r.sent_at, "read_at": r.read_at}
                        for r in await store.of_member(conn, member.id)]}


async def record_part(conn, member, start, end, lang: str) -> list[RecordSection]:
    """For the duty record (handlers/points/record.py): the notices of the window the member read."""
    t = translator(lang)
    return [RecordSection("notices", t.plain(N_("Notices read")),
                          [t.plain(N_("Notice")), t.plain(N_("Sent")), t.plain(N_("Read"))],
                          [[r.title, shown(r.sent_at), shown(r.read_at)] for r in await store.of_member(conn, member.id)
                           if r.read_at is not None and start <= r.sent_at < end])]


# --- for the command line ---------------------------------------------------------------

async def summary(conn, notice_id: int) -> dict | None:
    """A notice with its counts and who has not read it (for ``linkage notice show``)."""
    notice = await store.by_id(conn, notice_id)
    if notice is None:
        return None
    total, read = await store.counts(conn, notice_id)
    sender = await people.by_id(conn, notice.sender_id) if notice.sender_id else None
    return {"notice": notice, "recipients": total, "read": read, "unread": total - read,
            "sender": sender.name if sender else "command line",
            "unread_members": await store.unread(conn, notice_id)}
