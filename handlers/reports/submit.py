"""The member's side: the guided submission (domain → topic → tags → area → 标题 → 情况 → 分析 →
建议 → attachments → co-signers → privacy → preview → submit; the first three in topic_menu.py), /my
with hop history, editing until claimed, withdrawing, and answering a liaison's question. The draft
lives in the database at every step."""

from __future__ import annotations

import html

from handlers.reports import cosign
from handlers.core import flows
from handlers.reports import lifecycle, topic_menu, transitions
from handlers.core.buttons import ButtonData, Optional
from handlers.core.context import Buttons, Ctx, utf16_len
from handlers.core.flows import Step, remember
from handlers.core.i18n import N_, Html, translator
from storage import conversations, people, reference
from storage import items as item_store
from storage.conversations import Conversation

PRIVACY = {"named": N_("Named: liaisons see my name"),
           "office": N_("Named to the office only: liaisons see an alias, not who I am"),
           "anonymous": N_("Anonymous to all but administrators")}
MAX_ATTACHMENTS = 10
TITLE_LIMIT = 30  # characters as Telegram counts them (UTF-16 units): a line in a list, a digest, a file
STEP = ButtonData("s", step=str, value=str)  # a choice in the draft's current step
MEMBER = ButtonData("m", action=("edit", "withdraw", "field", "answer"), item=int, extra=Optional(str))  # on /my


async def start(ctx: Ctx) -> None:
    """/submit: a new draft, or the unfinished one where it was left."""
    conv = await conversations.load(ctx.conn, ctx.event.user_id)
    if conv is not None and conv.flow == SUBMIT.name:
        if conv.step == "topic" and not conv.data.get("domain"):  # a draft from the one-screen menu
            conv.step = SUBMIT.first
            await conversations.save(ctx.conn, conv, ctx.now)
        await ctx.reply(ctx.t("Continuing your unfinished draft (/cancel discards it)."))
    else:
        conv = Conversation(ctx.event.user_id, SUBMIT.name, SUBMIT.first, {})
        await conversations.save(ctx.conn, conv, ctx.now)
    await SUBMIT.prompt(ctx, conv)


# --- what the steps show and take ---------------------------------------------------------

def _take_code(key: str, lookup):
    """A step's choice of a reference row by code (a forged code is refused)."""
    async def choose(ctx: Ctx, conv: Conversation, code: str) -> bool:
        if await lookup(ctx.conn, code) is None:
            return False
        conv.data[key] = code
        return True
    return choose


async def _choose_area(ctx: Ctx, conv: Conversation, area: str) -> bool:
    conv.data.update(area=area, district=None, street=None)
    return True


def _own_district(ctx: Ctx) -> str | None:
    """A district member reports about their own district only."""
    return ctx.member.district_code if ctx.member.level == "district" else None


async def _in_own_district(ctx: Ctx, conv: Conversation) -> bool:
    own = _own_district(ctx)
    if own:
        conv.data["district"] = own
    return bool(own)


async def _districts(ctx: Ctx, conv: Conversation) -> flows.Choices:
    districts = await reference.all_districts(ctx.conn)
    if conv.data.get("area") == "street":
        districts = [d for d in districts if await reference.streets_of(ctx.conn, d.code)]
    return flows.grid([(reference.name(d, ctx.t.lang), d.code) for d in districts], 3)


async def _own_district_has_no_streets(ctx: Ctx, conv: Conversation) -> bool:
    """Then the report is about the district itself."""
    own = _own_district(ctx)
    if not own or await reference.streets_of(ctx.conn, own):
        return False
    conv.data["area"] = "district"
    return True


async def _streets(ctx: Ctx, conv: Conversation) -> flows.Choices:
    streets = await reference.streets_of(ctx.conn, conv.data["district"])
    return flows.grid([(reference.name(st, ctx.t.lang), st.code) for st in streets], 2)


async def _choose_street(ctx: Ctx, conv: Conversation, code: str) -> bool:
    street = await reference.street(ctx.conn, code)
    if street is None or street.district_code != conv.data.get("district"):
        return False
    conv.data["street"] = code
    return True


async def _title_input(ctx: Ctx) -> str | None:
    """The title the member sent, on one line; None after telling them why it cannot be taken."""
    text = await flows.text_input(ctx, empty_msgid=N_("The title needs some text. Please type it, or /cancel to stop."))
    if text is None:
        return None
    title = " ".join(text.split())
    if utf16_len(title) > TITLE_LIMIT:
        await ctx.reply(ctx.t("Sorry, the title can have at most {limit} characters; this one has {length}. "
                              "Please shorten it and send it again.", limit=TITLE_LIMIT, length=utf16_len(title)))
        return None
    return title


async def _take_title(ctx: Ctx, conv: Conversation) -> bool:
    title = await _title_input(ctx)
    if title is not None:
        conv.data["title"] = title
    return title is not None


async def _take_text(ctx: Ctx, conv: Conversation) -> bool:
    empty = N_("Please type this part as text. Files can be added in a later step.") if ctx.event.attachments \
        else N_("This step needs some text. Please type it, or /cancel to stop.")
    text = await flows.text_input(ctx, empty_msgid=empty)
    if text is None:
        return False
    conv.data[conv.step] = text
    return True


async def _add_file(ctx: Ctx, conv: Conversation) -> bool:
    """One attachment per message; the step goes on with Done."""
    t = ctx.t
    event = ctx.event
    done = await SUBMIT.buttons(ctx, conv)
    if not event.attachments:
        await ctx.reply(t("Send a photo, document, voice message or location, or press Done."), buttons=done)
        return False
    file = event.attachments[0]
    problem = _file_problem(ctx, file)
    if problem:
        await ctx.reply(problem, buttons=done)
        return False
    files = conv.data.setdefault("files", [])
    if len(files) >= MAX_ATTACHMENTS:
        await ctx.reply(t("A report can carry {count} attachments; this one was not added. Press Done.",
                          count=MAX_ATTACHMENTS), buttons=done)
        return False
    files.append({"kind": file.kind, "file_id": file.file_id, "file_name": file.file_name,
                  "mime_type": file.mime_type, "file_size": file.file_size,
                  "latitude": None if file.latitude is None else str(file.latitude),
                  "longitude": None if file.longitude is None else str(file.longitude)})
    await conversations.save(ctx.conn, conv, ctx.now)
    await ctx.reply(t("Attachment {number} added. Send more, or press Done.", number=len(files)), buttons=done)
    return False


async def _choose_cosigners(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    chosen, problems = await cosign.parse(ctx, text)
    if problems:
        await ctx.reply("\n".join(problems) + "\n\n" + ctx.t("Please type them again, or press Skip."),
                        buttons=await SUBMIT.buttons(ctx, conv))
        return False
    conv.data["cosigners"] = chosen
    return True


async def _confirm(ctx: Ctx, conv: Conversation, value: str) -> bool:
    if value == "cancel":
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t("Cancelled. The draft was discarded."))
    else:
        await _submit(ctx, conv)
    return True


def _file_problem(ctx: Ctx, file) -> str | None:
    t = ctx.t
    if file.kind == "unsupported":
        return t("Sorry, {kind} files cannot be attached. Photos, documents (PDF, Word, Excel, text), "
                 "voice messages and locations can.", kind=file.original_kind)
    if file.file_size and file.file_size > ctx.config.max_file_bytes:
        return t("This file is {size} MB; the limit is {limit} MB. It was not added.",
                 size=round(file.file_size / 1048576, 1), limit=ctx.config.max_file_bytes // 1048576)
    if file.kind == "document" and file.mime_type not in ctx.config.allowed_document_types:
        return t("Sorry, this document type ({type}) cannot be attached. PDF, Word, Excel, text and "
                 "images can.", type=file.mime_type or "?")
    return None


async def _preview(ctx: Ctx, conv: Conversation) -> str:
    t = ctx.t
    data = conv.data
    topic = await reference.topic(ctx.conn, data["topic"])
    district, street = await people.place_names(ctx.conn, data.get("district"), data.get("street"))
    place = t("city-wide") if data["area"] == "city" else html.escape(
        " · ".join(reference.name(x, t.lang) for x in (district, street) if x))
    lines = [t("<b>Please check your report</b>")]
    if data.get("title"):  # a draft begun before titles has none
        lines.append(t("Title (标题): {title}", title=data["title"]))
    lines.append(t("Topic: {topic}", topic=reference.name(topic, t.lang)))
    if data.get("tags"):
        lines.append(t("Tags: {tags}", tags=await topic_menu.tag_names(ctx.conn, data["tags"], t.lang)))
    lines += [t("Area: {place}", place=Html(place)),
             t("<b>Observation (情况)</b>"), html.escape(data["observation"])]
    if data.get("analysis"):
        lines += [t("<b>Analysis (分析)</b>"), html.escape(data["analysis"])]
    lines += [t("<b>Suggestion (建议)</b>"), html.escape(data["suggestion"]),
              t("Attachments: {count}", count=len(data.get("files", [])))]
    if data.get("cosigners"):
        lines.append(t("Co-signers (联名): {names} — each will be asked to confirm",
                       names="、".join(await cosign.names(ctx.conn, data["cosigners"]))))
    lines.append(t("Privacy: {privacy}", privacy=t.plain(PRIVACY[data["privacy"]])))
    return "\n".join(lines)


async def _submit(ctx: Ctx, conv: Conversation) -> None:
    data = conv.data
    member = ctx.member
    code = await item_store.next_code(ctx.conn, ctx.now.year)
    item_id = await item_store.create(
        ctx.conn, files=data.get("files", []), code=code, title=data.get("title"), author_id=member.id,
        topic_code=data["topic"],
        area=data["area"], district_code=data.get("district"), street_code=data.get("street"),
        observation=data["observation"], analysis=data.get("analysis"), suggestion=data["suggestion"],
        privacy=data["privacy"], status="submitted",
        level="city" if data["area"] == "city" else "district",
        source_key=f"update:{ctx.event.update_id}", created_at=ctx.now, updated_at=ctx.now)
    await item_store.set_tags(ctx.conn, item_id, data.get("tags", []))
    await item_store.add_event(ctx.conn, item_id, "submitted", ctx.now, actor_id=member.id,
                               status_to="submitted")
    await conversations.clear(ctx.conn, ctx.event.user_id)
    targets = await transitions.route_item(ctx, item_id)
    await cosign.invite_all(ctx, item_id, data.get("cosigners", []))
    t = ctx.t
    where = "、".join(reference.name(target, t.lang) for target in targets)
    text = t("✅ Received. Your reference code is <b>{code}</b>.", code=code) + "\n"
    # "routed", not "delivered": the card is still on its way (the member is told when it is claimed)
    text += t("Routed to: {where}", where=where) if targets else \
        t("It is queued for the city office and will be delivered as soon as a handling group is set up.")
    text += "\n" + t("You will be told every step. /my shows your reports.")
    await ctx.reply(text)


# --- the steps, in the order members meet them ----------------------------------------------

SKIP = [[(N_("Skip"), "skip")]]
SUBMIT = flows.Flow("submit", STEP, [
    *topic_menu.steps(then="area"),
    Step("area", N_("<b>Step 2.</b> Where does it happen?"),
         choices=[[(N_("City-wide"), "city")], [(N_("A district"), "district"), (N_("A street"), "street")]],
         on_choice=_choose_area, next=lambda conv: "title" if conv.data["area"] == "city" else "district"),
    Step("district", N_("Which district?"), choices=_districts, on_choice=_take_code("district", reference.district),
         skip=_in_own_district, next=lambda conv: "street" if conv.data["area"] == "street" else "title"),
    Step("street", N_("Which street?"), choices=_streets, on_choice=_choose_street,
         skip=_own_district_has_no_streets, next="title"),
    Step("title", N_("<b>Step 3.</b> A short title (标题) for your report, at most {limit} characters, "
                     "for example “老旧小区夜间停车难”."), values={"limit": TITLE_LIMIT},
         on_text=_take_title, next="observation"),
    Step("observation", N_("<b>Step 4.</b> What did you observe? Describe the situation (情况)."),
         on_text=_take_text, next="analysis"),
    Step("analysis", N_("<b>Step 5.</b> Your analysis (分析) of causes and effects. Optional: press Skip."),
         choices=SKIP, on_choice=remember("analysis", lambda skip: None), on_text=_take_text, next="suggestion"),
    Step("suggestion", N_("<b>Step 6.</b> Your suggestion (建议): what should be done?"),
         on_text=_take_text, next="files"),
    Step("files", N_("<b>Step 7.</b> Attach photos, documents, voice messages or a location if you "
                     "have any (up to {count}), then press Done."), values={"count": MAX_ATTACHMENTS},
         choices=[[(N_("Done"), "done")]], on_text=_add_file, next="cosigners"),
    Step("cosigners", N_("<b>Step 8.</b> Co-signers (联名), optional: type the roster numbers or names of up to "
                         "{count} fellow members, separated by commas. Each is asked to confirm and will see "
                         "your name and this report. Or press Skip."), values={"count": cosign.MAX_COSIGNERS},
         choices=SKIP, on_choice=remember("cosigners", lambda skip: []), on_text=_choose_cosigners, next="privacy"),
    Step("privacy", N_("<b>Step 9.</b> Who may see that this report is yours?"),
         choices=[[(label, code)] for code, label in PRIVACY.items()], on_choice=remember("privacy"), next="preview"),
    Step("preview", _preview,
         choices=[[(N_("✅ Submit"), "submit"), (N_("✖ Cancel"), "cancel")]], on_choice=_confirm),
])


# --- /my, edit, withdraw, answer ----------------------------------------------------------

async def my_items(ctx: Ctx) -> None:
    t = ctx.t
    rows = await item_store.of_author(ctx.conn, ctx.member.id)
    if not rows:
        await ctx.reply(t("You have not submitted any reports yet. /submit starts one."))
        return
    for item in rows[:10]:
        history = await lifecycle.history_lines(ctx.conn, item, t.lang, limit=6)
        text = "\n".join([f"<b>{lifecycle.titled(item)}</b> · {lifecycle.status_label(item.status, t.lang)}",
                          *history])
        await ctx.reply(text, buttons=_item_buttons(item, t))


def _item_buttons(item, t) -> Buttons:
    row = []
    if item.status in ("submitted", *item_store.WAITING):
        row.append((t.plain("✏ Edit"), MEMBER.pack("edit", item.id)))
    if item.status not in item_store.CLOSED:
        row.append((t.plain("🗑 Withdraw"), MEMBER.pack("withdraw", item.id)))
    return [row] if row else []


async def on_member_button(ctx: Ctx, fields: dict) -> None:
    t = ctx.t
    action, extra = fields["action"], fields["extra"]
    item = await item_store.by_id(ctx.conn, fields["item"])
    if item is None or item.author_id != ctx.member.id:
        await ctx.answer(t.plain("This button is not valid."), alert=True)
        return
    if action == "withdraw":
        if item.status in item_store.CLOSED:
            await ctx.answer(t.plain("This report is already closed."), alert=True)
            return
        await transitions.move(ctx, item, "withdrawn", "withdrawn", actor_id=ctx.member.id, closed_at=ctx.now)
        await ctx.answer()
        await ctx.reply(t("{code} was withdrawn.", code=item.code))
    elif action == "edit":
        if item.status not in ("submitted", *item_store.WAITING):
            await ctx.answer(t.plain("A liaison is already handling this report, so it can no longer be edited."),
                             alert=True)
            return
        buttons = [[(t.plain("Title (标题)"), MEMBER.pack("field", item.id, "title"))],
                   [(t.plain("Observation"), MEMBER.pack("field", item.id, "observation"))],
                   [(t.plain("Analysis"), MEMBER.pack("field", item.id, "analysis"))],
                   [(t.plain("Suggestion"), MEMBER.pack("field", item.id, "suggestion"))]]
        await ctx.answer()
        await ctx.reply(t("Which part of {code} do you want to change?", code=item.code), buttons=buttons)
    elif action == "field" and extra in ("title", "observation", "analysis", "suggestion"):
        if item.status not in ("submitted", *item_store.WAITING):
            await ctx.answer(t.plain("A liaison is already handling this report, so it can no longer be edited."),
                             alert=True)
            return
        await flows.suspend_into(ctx, "edit", "text", {"item_id": item.id, "field": extra})
        await ctx.answer()
        await ctx.reply(t("Send the new text for this part of {code}.", code=item.code))
    elif action == "answer":
        if item.status != "needs_info":
            await ctx.answer(t.plain("No information is requested for this report now."), alert=True)
            return
        await flows.suspend_into(ctx, "answer", "text", {"item_id": item.id})
        await ctx.answer()
        await ctx.reply(t("Type your answer for {code}; it will be passed on to the liaison.", code=item.code))
    else:
        await ctx.answer(t.plain("This button is not valid."), alert=True)


async def on_member_text(ctx: Ctx, conv: Conversation) -> None:
    """Text for an edit or an answer to a liaison's question."""
    t = ctx.t
    text = await (_title_input(ctx) if conv.data.get("field") == "title" else flows.text_input(ctx))
    if text is None:
        return  # the member was told why; the edit waits for another try
    item = await item_store.by_id(ctx.conn, conv.data["item_id"])
    if conv.flow == "edit":
        if item.status not in ("submitted", *item_store.WAITING):
            await ctx.reply(t("A liaison is already handling this report, so it can no longer be edited."))
        else:
            await transitions.move(ctx, item, None, "edited", actor_id=ctx.member.id, reason=conv.data["field"],
                                   **{conv.data["field"]: text})
            await ctx.reply(t("{code} was updated; the liaisons see the new text.", code=item.code))
    else:
        await _relay_answer(ctx, item, text)
    await flows.resume(ctx, conv)


async def _relay_answer(ctx: Ctx, item, text: str) -> None:
    t = ctx.t
    if item.status != "needs_info":
        await ctx.reply(t("No information is requested for this report now."))
        return
    await transitions.move(ctx, item, "claimed", "info", actor_id=ctx.member.id, body=text)
    group_t = translator(ctx.config.group_language)
    await lifecycle.relay_to_handlers(
        ctx, item, group_t("📨 The member answered about {code}:", code=item.code) + "\n" + html.escape(text))
    await ctx.reply(t("Thank you. Your answer was passed on for {code}.", code=item.code))
