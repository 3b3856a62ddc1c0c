"""Before the meeting: written statements (书面发言) and requests to speak (申请发言).

A statement is a guided flow (``STATEMENT``: title → text → optional attachment → confirm) open
until the deadline; the organisers (the committee's staff, or the office) get a copy with
accept / return buttons, returning asks for a note, and the author is told either way.
Accepted statements are numbered in the order they were accepted (``linkage consultation
order`` changes it). A request to speak is one message (its topic), accepted or declined the
same way."""

from __future__ import annotations

import logging

from handlers.consultation.cards import (
    invited_meeting,
    limited_text,
    may_organise,
    organisers,
    reachable,
    refuse,
    ticked,
    tell,
    where_from,
)
from handlers.consultation.meetings import order, speaker
from handlers.consultation.terms import (ORGANISER, REQUEST_STATUS, STATEMENT_LIMIT, STATEMENT_STATUS, STEP,
                                        TITLE_LIMIT, TOPIC_LIMIT, ConsultationError, esc)
from handlers.core import flows
from handlers.core.context import Buttons, Ctx, clip
from handlers.core.flows import Step
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.core.errors import Term
from storage import consultation as store
from storage import audit, outbox, people
from storage.conversations import Conversation

log = logging.getLogger("linkage.consultation")
NOTE_LIMIT = 1000
FILE_KINDS = ("document", "photo")


async def _late(ctx: Ctx, m) -> bool:
    if ctx.now < m.statements_by:
        return False
    await refuse(ctx, N_("Sorry, written statements for {title} closed at {time}; a late statement cannot be "
                         "taken. You may still ask to speak or comment during the meeting."),
                 title=m.title, time=shown(m.statements_by))
    return True


async def start(ctx: Ctx, m) -> None:
    """📝 on the card: the statement flow, while the deadline has not passed."""
    if await _late(ctx, m):
        return
    conv = await flows.suspend_into(ctx, STATEMENT.name, STATEMENT.first, {"meeting": m.id, "title_m": m.title})
    await ctx.answer()
    await STATEMENT.prompt(ctx, conv)


async def _title_prompt(ctx: Ctx, conv: Conversation) -> str:
    return ctx.t("<b>Written statement (书面发言)</b> for {meeting}. Send its title (at most {limit} characters). "
                 "/cancel stops.", meeting=conv.data["title_m"], limit=TITLE_LIMIT)


async def _take_title(ctx: Ctx, conv: Conversation) -> bool:
    text = await limited_text(ctx, TITLE_LIMIT, N_("The title can have at most {limit} characters. Please send a "
                                                   "shorter one."))
    conv.data["title"] = text
    return text is not None


async def _take_text(ctx: Ctx, conv: Conversation) -> bool:
    text = await limited_text(ctx, STATEMENT_LIMIT, N_(
        "Thank you — your statement is {length} characters, and a written statement can have at most {limit}. "
        "Please shorten it and send it again; you may attach the full text as a document in the next step."))
    conv.data["text"] = text
    return text is not None


async def _take_file(ctx: Ctx, conv: Conversation) -> bool:
    file = next((a for a in ctx.event.attachments if a.kind in FILE_KINDS), None)
    if file is None:
        await ctx.reply(ctx.t("Please send a document or a photo, or press Skip."))
        return False
    problem = flows.file_problem(ctx, file)
    if problem:
        await ctx.reply(problem)
        return False
    conv.data["file"] = file.record()
    return True


async def _skip_file(ctx: Ctx, conv: Conversation, value: str) -> bool:
    conv.data["file"] = None
    return True


def _body(t, title: str, text: str, file) -> list[str]:
    lines = [f"<b>{esc(title)}</b>", esc(text)]
    if file:
        lines.append(t("📎 Attachment: {name}", name=file.get("file_name") or t.plain("photo")))
    return lines


async def _preview(ctx: Ctx, conv: Conversation) -> str:
    return "\n".join([ctx.t("<b>Preview</b> — your written statement for {meeting}:", meeting=conv.data["title_m"]),
                      *_body(ctx.t, conv.data["title"], conv.data["text"], conv.data.get("file"))])


async def _submit(ctx: Ctx, conv: Conversation) -> bool:
    t = ctx.t
    found = await invited_meeting(ctx, conv.data["meeting"])
    if found is None or await _late(ctx, found[0]):
        await flows.resume(ctx, conv)
        return True
    m = found[0]
    data = conv.data
    statement_id = await store.add_statement(ctx.conn, consultation_id=m.id, member_id=ctx.member.id,
                                             title=data["title"], text=data["text"], file=data.get("file"),
                                             status="submitted", in_person=False, created_at=ctx.now)
    log.info("consultation statement", extra={"consultation": m.id, "statement": statement_id})
    await flows.resume(ctx, conv)
    await ctx.reply(t("📝 Statement #{id} received. The organisers will accept it or return it with a note; "
                      "I will tell you.", id=statement_id))
    await _to_organisers(ctx, m, "st", statement_id)
    return True


STATEMENT = flows.Flow("kstatement", STEP, [
    Step("title", _title_prompt, on_text=_take_title, next="text"),
    Step("text", N_("Now send the text of your statement (at most {limit} characters)."),
         values={"limit": STATEMENT_LIMIT}, on_text=_take_text, next="file"),
    Step("file", N_("You may attach a document or a photo (the full text, a table), or press Skip."),
         choices=[[(N_("Skip"), "skip")]], on_choice=_skip_file, on_text=_take_file, next="confirm"),
    flows.confirm_step("confirm", _preview, (N_("📝 Submit"), "send"), _submit,
                       cancelled=N_("The statement was not submitted."),
                       hint=N_("Please use the buttons above: submit the statement, or cancel it.")),
], stale=N_("This button is no longer valid."))


# --- the organisers' copies -----------------------------------------------------------------------

async def _author_line(conn, t, member) -> str:
    where = await where_from(conn, member, t.lang)
    return t("From: {name} ({where})", name=member.name, where=where) if where else t("From: {name}", name=member.name)


async def organiser_copy(ctx: Ctx, t, kind: str, row_id: int) -> tuple[str, Buttons]:
    """A statement (``st``) or a request to speak (``rq``) as the organisers see it, with the
    buttons of its state."""
    row = await (store.statement if kind == "st" else store.speak_request)(ctx.conn, row_id)
    m = await store.meeting(ctx.conn, row.consultation_id)
    author = await people.by_id(ctx.conn, row.member_id)
    if kind == "st":
        lines = [t("📝 <b>Written statement #{id}</b> for {meeting}", id=row.id, meeting=m.title),
                 await _author_line(ctx.conn, t, author), *_body(t, row.title, clip(row.text, 1500), row.file)]
        buttons = [[(t.plain("✅ Accept"), ORGANISER.pack("a", row.id)),
                    (t.plain("↩ Return with a note"), ORGANISER.pack("r", row.id))]]
        state = {"accepted": t("✅ Accepted"), "returned": t("↩ Returned: {note}", note=row.note or "")}
    else:
        lines = [t("🙋 <b>Request to speak #{id}</b> at {meeting}", id=row.id, meeting=m.title),
                 await _author_line(ctx.conn, t, author), t("Topic: {topic}", topic=row.topic)]
        buttons = [[(t.plain("✅ Accept"), ORGANISER.pack("sa", row.id)),
                    (t.plain("✖ Decline"), ORGANISER.pack("sd", row.id))]]
        state = {"accepted": t("✅ Accepted"), "declined": t("✖ Declined")}
    if kind == "st" and row.status == "accepted":  # who speaks in person, and the order, until the compilation
        return "\n".join([*lines, "", t("✅ Accepted · No. {position}", position=row.position)]), [[
            (ticked(row.in_person, t.plain("🎤 Speaks in person")), ORGANISER.pack("p", row.id)),
            (t.plain("⬆ One place earlier"), ORGANISER.pack("u", row.id))]]
    if row.status in state:
        return "\n".join([*lines, "", state[row.status]]), []
    return "\n".join(lines), buttons


async def _to_organisers(ctx: Ctx, m, kind: str, row_id: int) -> None:
    for person in await organisers(ctx.conn, m):
        if not reachable(person):
            continue
        t = translator(person.language)
        text, buttons = await organiser_copy(ctx, t, kind, row_id)
        await ctx.send(person.telegram_user_id, text, buttons=buttons, key=f"consult:{kind}:{row_id}:org:{person.id}",
                       priority=outbox.BULK)
        row = await store.statement(ctx.conn, row_id) if kind == "st" else None
        if row is not None and row.file:
            method, field = ("sendPhoto", "photo") if row.file["kind"] == "photo" else ("sendDocument", "document")
            await ctx.call(method, {"chat_id": person.telegram_user_id, field: row.file["file_id"]},
                           chat_id=person.telegram_user_id, priority=outbox.BULK)


STATUSES = {"statement": STATEMENT_STATUS, "request": REQUEST_STATUS}
UNDECIDED = {  # what is decided: (no such row, decided already)
    "statement": (N_("there is no statement #{id}"), N_("statement #{id} is {status}: it was already decided")),
    "request": (N_("there is no request to speak #{id}"),
                N_("request to speak #{id} is {status}: it was already decided")),
}


async def _undecided(ctx: Ctx, load, row_id: int, waiting: str, name: str):
    """(the statement or request, its meeting) while it waits for the organisers' decision."""
    missing, decided = UNDECIDED[name]
    row = await load(ctx.conn, row_id)
    if row is None:
        raise ConsultationError(missing, id=row_id)
    if row.status != waiting:
        raise ConsultationError(decided, id=row.id, status=Term(STATUSES[name][row.status]))
    return row, await store.meeting(ctx.conn, row.consultation_id)


async def decide_statement(ctx: Ctx, statement_id: int, *, accept: bool, note: str = "", actor: str = "cli"):
    """The organisers accept a submitted statement (it takes the next place in the order) or return
    it with a note; its author is told. The chat's buttons and the console call this."""
    row, m = await _undecided(ctx, store.statement, statement_id, "submitted", "statement")
    if accept:
        position = len(await store.statements(ctx.conn, m.id, status="accepted")) + 1
        await store.change_statement(ctx.conn, row.id, status="accepted", position=position, decided_at=ctx.now)
        await tell(ctx, row.member_id, N_("✅ Your written statement <b>{title}</b> for {meeting} was accepted."),
                   title=row.title, meeting=m.title)
    else:
        note = (note or "").strip()
        if not note or len(note) > NOTE_LIMIT:
            raise ConsultationError("returning a statement needs a note for its author (at most {limit} characters)",
                                    limit=NOTE_LIMIT)
        await store.change_statement(ctx.conn, row.id, status="returned", note=note, decided_at=ctx.now)
        await tell(ctx, row.member_id, N_("↩ Your written statement <b>{title}</b> for {meeting} was returned by "
                                          "the organisers with this note:\n{note}\nYou may submit a revised one "
                                          "from the invitation card before the deadline."),
                   title=row.title, meeting=m.title, note=note)
    status = "accepted" if accept else "returned"
    await audit.record(ctx.conn, actor, f"consultation.statement_{status}", {"statement": row.id}, ctx.now)


async def decide_request(ctx: Ctx, request_id: int, *, accept: bool, actor: str = "cli"):
    """The organisers accept or decline a pending request to speak; its author is told."""
    row, m = await _undecided(ctx, store.speak_request, request_id, "pending", "request")
    status = "accepted" if accept else "declined"
    await store.change_speak_request(ctx.conn, row.id, status=status, decided_at=ctx.now)
    msgid = (N_("🎤 Your request to speak at {meeting} was accepted.") if accept
             else N_("Your request to speak at {meeting} was declined this time. You may still comment during "
                     "the meeting."))
    await tell(ctx, row.member_id, msgid, meeting=m.title)
    await audit.record(ctx.conn, actor, f"consultation.request_{status}", {"request": row.id}, ctx.now)


async def on_organiser(ctx: Ctx, fields: dict) -> None:
    """ko:a / r / p / u:STATEMENT accept, return, speaks in person, earlier · ko:sa / sd:REQUEST accept, decline."""
    action, row_id = fields["action"], fields["id"]
    kind = "st" if action in ("a", "r", "p", "u") else "rq"
    row = await (store.statement if kind == "st" else store.speak_request)(ctx.conn, row_id)
    m = row and await store.meeting(ctx.conn, row.consultation_id)
    if m is None:
        await refuse(ctx, N_("This button is not valid."))
        return
    if not may_organise(ctx, m):
        await refuse(ctx, N_("Only the organisers of this meeting can do that."))
        return
    if action in ("p", "u"):
        await _arrange(ctx, row, action)
        return
    if row.status not in ("submitted", "pending"):
        await refuse(ctx, N_("This was already decided."))
        return
    if action == "r":
        await flows.suspend_into(ctx, "knote", "note", {"statement": row.id, "message": ctx.event.message_id})
        await ctx.answer()
        await ctx.reply(ctx.t("Send the note for the author of <b>{title}</b>: what to change (/cancel keeps the "
                              "statement waiting).", title=row.title))
        return
    actor = f"member:{ctx.member.id}"
    if kind == "st":
        await decide_statement(ctx, row.id, accept=True, actor=actor)
    else:
        await decide_request(ctx, row.id, accept=action == "sa", actor=actor)
    await ctx.answer(ctx.t.plain("Done: the member was told."))
    text, buttons = await organiser_copy(ctx, ctx.t, kind, row.id)
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)


async def _arrange(ctx: Ctx, row, action: str) -> None:
    """An accepted statement's speaker (p) or place in the order (u: one earlier)."""
    if row.status != "accepted":
        await refuse(ctx, N_("This button is not valid."))
        return
    actor = f"member:{ctx.member.id}"
    if action == "p":
        await speaker(ctx, row.id, in_person=not row.in_person, actor=actor)
    else:
        ids = [s.id for s in await store.statements(ctx.conn, row.consultation_id, status="accepted")]
        at = ids.index(row.id)
        if at == 0:
            await refuse(ctx, N_("This statement is already the first."))
            return
        ids[at - 1], ids[at] = ids[at], ids[at - 1]
        await order(ctx, row.consultation_id, ids, actor=actor)
    await ctx.answer(ctx.t.plain("Recorded."))
    text, buttons = await organiser_copy(ctx, ctx.t, "st", row.id)
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)


async def on_note_text(ctx: Ctx, conv: Conversation) -> None:
    """The note of a statement returned: the author gets it, the organiser's copy shows it."""
    note = await limited_text(ctx, NOTE_LIMIT, N_("Please keep the note under {limit} characters."))
    if note is None:
        return
    row = await store.statement(ctx.conn, conv.data["statement"])
    m = await store.meeting(ctx.conn, row.consultation_id)
    await flows.resume(ctx, conv)
    try:
        if not may_organise(ctx, m):
            raise ConsultationError("only the organisers may return a statement")
        await decide_statement(ctx, row.id, accept=False, note=note, actor=f"member:{ctx.member.id}")
    except ConsultationError:
        await ctx.reply(ctx.t("This statement can no longer be returned."))
        return
    await ctx.reply(ctx.t("Returned with your note; the author was told."))
    text, buttons = await organiser_copy(ctx, ctx.t, "st", row.id)
    await ctx.edit(ctx.event.chat_id, conv.data["message"], text, buttons=buttons)


# --- requests to speak (申请发言) -------------------------------------------------------------------

async def start_request(ctx: Ctx, m) -> None:
    if ctx.now >= m.starts_at:
        await refuse(ctx, N_("Requests to speak closed when the meeting began."))
        return
    await flows.suspend_into(ctx, "kspeak", "topic", {"meeting": m.id})
    await ctx.answer()
    await ctx.reply(ctx.t("🙋 What would you like to speak about at <b>{title}</b>? Send the topic in a sentence "
                          "(/cancel stops).", title=m.title))


async def on_request_text(ctx: Ctx, conv: Conversation) -> None:
    topic = await limited_text(ctx, TOPIC_LIMIT, N_("Please keep the topic under {limit} characters."))
    if topic is None:
        return
    await flows.resume(ctx, conv)
    found = await invited_meeting(ctx, conv.data["meeting"])
    if found is None:
        return
    m = found[0]
    if ctx.now >= m.starts_at:
        await ctx.reply(ctx.t("Requests to speak closed when the meeting began."))
        return
    request_id = await store.add_speak_request(ctx.conn, consultation_id=m.id, member_id=ctx.member.id, topic=topic,
                                               status="pending", created_at=ctx.now)
    await ctx.reply(ctx.t("🙋 Your request to speak was sent to the organisers; I will tell you their answer."))
    await _to_organisers(ctx, m, "rq", request_id)
