"""The member's side: the guided submission (topic → area → 情况 → 分析 → 建议 → attachments →
co-signers → privacy → preview → submit), /my with hop history, editing until claimed, withdrawing, and
answering a liaison's question. The draft lives in the database at every step."""

from __future__ import annotations

import html

from handlers.reports import cosign
from handlers.core import flows
from handlers.reports import lifecycle, transitions
from handlers.core.buttons import ButtonData, Optional
from handlers.core.context import Buttons, Ctx
from handlers.core.i18n import N_, Html, translator
from storage import conversations, people, reference
from storage import items as item_store
from storage.conversations import Conversation

TEXT_STEPS = {"observation": N_("<b>Step 3.</b> What did you observe? Describe the situation (情况)."),
              "analysis": N_("<b>Step 4.</b> Your analysis (分析) of causes and effects. Optional: press Skip."),
              "suggestion": N_("<b>Step 5.</b> Your suggestion (建议): what should be done?")}
PRIVACY = {"named": N_("Named: liaisons see my name"),
           "office": N_("Named to the office only: liaisons see an alias, not who I am"),
           "anonymous": N_("Anonymous to all but administrators")}
MAX_ATTACHMENTS = 10
STEP = ButtonData("s", step=str, value=str)  # a choice in the draft's current step
MEMBER = ButtonData("m", action=("edit", "withdraw", "field", "answer"), item=int, extra=Optional(str))  # on /my


# --- entry points ---------------------------------------------------------------------

async def start(ctx: Ctx) -> None:
    """/submit: a new draft, or the unfinished one where it was left."""
    conv = await conversations.load(ctx.conn, ctx.event.user_id)
    if conv is not None and conv.flow == "submit":
        await ctx.reply(ctx.t("Continuing your unfinished draft (/cancel discards it)."))
    else:
        conv = Conversation(ctx.event.user_id, "submit", "topic", {})
        await conversations.save(ctx.conn, conv, ctx.now)
    await prompt(ctx, conv)


async def on_button(ctx: Ctx, fields: dict) -> None:
    t = ctx.t
    step, value = fields["step"], fields["value"]
    conv = await conversations.load(ctx.conn, ctx.event.user_id)
    if conv is None or conv.flow != "submit" or conv.step != step:
        await ctx.answer(t.plain("This button belongs to an earlier step. Please use the latest message."), alert=True)
        return
    handler = _BUTTONS.get(step)
    if handler is None or not await handler(ctx, conv, value):
        await ctx.answer(t.plain("This choice is not valid."), alert=True)
        return
    await ctx.answer()


async def on_message(ctx: Ctx, conv: Conversation) -> None:
    t = ctx.t
    event = ctx.event
    if conv.step in TEXT_STEPS:
        empty = N_("Please type this part as text. Files can be added in a later step.") if event.attachments \
            else N_("This step needs some text. Please type it, or /cancel to stop.")
        text = await flows.text_input(ctx, empty_msgid=empty)
        if text is None:
            return
        conv.data[conv.step] = text
        conv.step = {"observation": "analysis", "analysis": "suggestion", "suggestion": "files"}[conv.step]
        await _save_and_prompt(ctx, conv)
    elif conv.step == "files":
        await _add_file(ctx, conv)
    elif conv.step == "cosigners":
        await _choose_cosigners(ctx, conv)
    else:
        await ctx.reply(t("Please choose one of the buttons above, or /cancel to stop."))


# --- steps ------------------------------------------------------------------------------

async def prompt(ctx: Ctx, conv: Conversation) -> None:
    t = ctx.t
    lang = t.lang
    step = conv.step
    if step == "topic":
        topics = await reference.all_topics(ctx.conn)
        buttons = _grid([(reference.name(tp, lang), STEP.pack("topic", tp.code)) for tp in topics], 2)
        await ctx.reply(t("<b>Step 1.</b> Which topic is your report about? (/cancel stops at any step)"),
                        buttons=buttons)
    elif step == "area":
        buttons = [[(t.plain("City-wide"), STEP.pack("area", "city"))],
                   [(t.plain("A district"), STEP.pack("area", "district")), (t.plain("A street"), STEP.pack("area", "street"))]]
        await ctx.reply(t("<b>Step 2.</b> Where does it happen?"), buttons=buttons)
    elif step == "district":
        districts = await reference.all_districts(ctx.conn)
        if conv.data.get("area") == "street":
            districts = [d for d in districts if await reference.streets_of(ctx.conn, d.code)]
        buttons = _grid([(reference.name(d, lang), STEP.pack("district", d.code)) for d in districts], 3)
        await ctx.reply(t("Which district?"), buttons=buttons)
    elif step == "street":
        streets = await reference.streets_of(ctx.conn, conv.data["district"])
        buttons = _grid([(reference.name(s, lang), STEP.pack("street", s.code)) for s in streets], 2)
        await ctx.reply(t("Which street?"), buttons=buttons)
    elif step in TEXT_STEPS:
        buttons = [[(t.plain("Skip"), STEP.pack("analysis", "skip"))]] if step == "analysis" else None
        await ctx.reply(t(TEXT_STEPS[step]), buttons=buttons)
    elif step == "files":
        await ctx.reply(t("<b>Step 6.</b> Attach photos, documents, voice messages or a location if you "
                          "have any (up to {count}), then press Done.", count=MAX_ATTACHMENTS),
                        buttons=[[(t.plain("Done"), STEP.pack("files", "done"))]])
    elif step == "cosigners":
        await ctx.reply(t("<b>Step 7.</b> Co-signers (联名), optional: type the roster numbers or names of up to "
                          "{count} fellow members, separated by commas. Each is asked to confirm and will see "
                          "your name and this report. Or press Skip.", count=cosign.MAX_COSIGNERS),
                        buttons=[[(t.plain("Skip"), STEP.pack("cosigners", "skip"))]])
    elif step == "privacy":
        await ctx.reply(t("<b>Step 8.</b> Who may see that this report is yours?"),
                        buttons=[[(t.plain(label), STEP.pack("privacy", code))] for code, label in PRIVACY.items()])
    elif step == "preview":
        await ctx.reply(await _preview(ctx, conv),
                        buttons=[[(t.plain("✅ Submit"), STEP.pack("preview", "submit")),
                                  (t.plain("✖ Cancel"), STEP.pack("preview", "cancel"))]])


async def _save_and_prompt(ctx: Ctx, conv: Conversation) -> None:
    await conversations.save(ctx.conn, conv, ctx.now)
    await prompt(ctx, conv)


async def _choose_topic(ctx: Ctx, conv: Conversation, code: str) -> bool:
    if await reference.topic(ctx.conn, code) is None:
        return False
    conv.data["topic"] = code
    conv.step = "area"
    await _save_and_prompt(ctx, conv)
    return True


async def _choose_area(ctx: Ctx, conv: Conversation, area: str) -> bool:
    if area not in ("city", "district", "street"):
        return False
    conv.data.update(area=area, district=None, street=None)
    own = ctx.member.district_code
    if area == "city":
        conv.step = "observation"
    elif ctx.member.level == "district" and own:
        conv.data["district"] = own  # district members report about their own district
        conv.step = "street" if area == "street" else "observation"
        if area == "street" and not await reference.streets_of(ctx.conn, own):
            conv.data["area"], conv.step = "district", "observation"
    else:
        conv.step = "district"
    await _save_and_prompt(ctx, conv)
    return True


async def _choose_district(ctx: Ctx, conv: Conversation, code: str) -> bool:
    if await reference.district(ctx.conn, code) is None:
        return False
    conv.data["district"] = code
    conv.step = "street" if conv.data["area"] == "street" else "observation"
    await _save_and_prompt(ctx, conv)
    return True


async def _choose_street(ctx: Ctx, conv: Conversation, code: str) -> bool:
    street = await reference.street(ctx.conn, code)
    if street is None or street.district_code != conv.data.get("district"):
        return False
    conv.data["street"] = code
    conv.step = "observation"
    await _save_and_prompt(ctx, conv)
    return True


def _advance(next_step: str, key: str | None = None, accept=lambda value: True, store=lambda value: value):
    """A button that records a value (optionally) and moves the draft to the next step."""
    async def choose(ctx: Ctx, conv: Conversation, value: str) -> bool:
        if not accept(value):
            return False
        if key is not None:
            conv.data[key] = store(value)
        conv.step = next_step
        await _save_and_prompt(ctx, conv)
        return True
    return choose


_skip_analysis = _advance("suggestion", "analysis", accept=lambda v: v == "skip", store=lambda v: None)
_files_done = _advance("cosigners", accept=lambda v: v == "done")
_skip_cosigners = _advance("privacy", "cosigners", accept=lambda v: v == "skip", store=lambda v: [])
_choose_privacy = _advance("preview", "privacy", accept=lambda v: v in PRIVACY)


async def _confirm(ctx: Ctx, conv: Conversation, value: str) -> bool:
    if value == "cancel":
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t("Cancelled. The draft was discarded."))
        return True
    if value != "submit":
        return False
    await _submit(ctx, conv)
    return True


_BUTTONS = {"topic": _choose_topic, "area": _choose_area, "district": _choose_district,
            "street": _choose_street, "analysis": _skip_analysis, "files": _files_done,
            "cosigners": _skip_cosigners, "privacy": _choose_privacy, "preview": _confirm}


async def _choose_cosigners(ctx: Ctx, conv: Conversation) -> None:
    text = await flows.text_input(ctx)
    if text is None:
        return
    chosen, problems = await cosign.parse(ctx, text)
    if problems:
        await ctx.reply("\n".join(problems) + "\n\n" + ctx.t("Please type them again, or press Skip."),
                        buttons=[[(ctx.t.plain("Skip"), STEP.pack("cosigners", "skip"))]])
        return
    conv.data["cosigners"] = chosen
    conv.step = "privacy"
    await _save_and_prompt(ctx, conv)


async def _add_file(ctx: Ctx, conv: Conversation) -> None:
    t = ctx.t
    event = ctx.event
    if not event.attachments:
        await ctx.reply(t("Send a photo, document, voice message or location, or press Done."),
                        buttons=[[(t.plain("Done"), STEP.pack("files", "done"))]])
        return
    file = event.attachments[0]
    problem = _file_problem(ctx, file)
    if problem:
        await ctx.reply(problem, buttons=[[(t.plain("Done"), STEP.pack("files", "done"))]])
        return
    files = conv.data.setdefault("files", [])
    if len(files) >= MAX_ATTACHMENTS:
        await ctx.reply(t("A report can carry {count} attachments; this one was not added. Press Done.",
                          count=MAX_ATTACHMENTS), buttons=[[(t.plain("Done"), STEP.pack("files", "done"))]])
        return
    files.append({"kind": file.kind, "file_id": file.file_id, "file_name": file.file_name,
                  "mime_type": file.mime_type, "file_size": file.file_size,
                  "latitude": None if file.latitude is None else str(file.latitude),
                  "longitude": None if file.longitude is None else str(file.longitude)})
    await conversations.save(ctx.conn, conv, ctx.now)
    await ctx.reply(t("Attachment {number} added. Send more, or press Done.", number=len(files)),
                    buttons=[[(t.plain("Done"), STEP.pack("files", "done"))]])


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
    lines = [t("<b>Please check your report</b>"),
             t("Topic: {topic}", topic=reference.name(topic, t.lang)),
             t("Area: {place}", place=Html(place)),
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
        ctx.conn, files=data.get("files", []), code=code, author_id=member.id, topic_code=data["topic"],
        area=data["area"], district_code=data.get("district"), street_code=data.get("street"),
        observation=data["observation"], analysis=data.get("analysis"), suggestion=data["suggestion"],
        privacy=data["privacy"], status="submitted",
        level="city" if data["area"] == "city" else "district",
        source_key=f"update:{ctx.event.update_id}", created_at=ctx.now, updated_at=ctx.now)
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


def _grid(buttons: list[tuple[str, str]], width: int) -> Buttons:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


# --- /my, edit, withdraw, answer ----------------------------------------------------------

async def my_items(ctx: Ctx) -> None:
    t = ctx.t
    rows = await item_store.of_author(ctx.conn, ctx.member.id)
    if not rows:
        await ctx.reply(t("You have not submitted any reports yet. /submit starts one."))
        return
    for item in rows[:10]:
        history = await lifecycle.history_lines(ctx.conn, item, t.lang, limit=6)
        text = "\n".join([f"<b>{item.code}</b> · {lifecycle.status_label(item.status, t.lang)}", *history])
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
        buttons = [[(t.plain("Observation"), MEMBER.pack("field", item.id, "observation"))],
                   [(t.plain("Analysis"), MEMBER.pack("field", item.id, "analysis"))],
                   [(t.plain("Suggestion"), MEMBER.pack("field", item.id, "suggestion"))]]
        await ctx.answer()
        await ctx.reply(t("Which part of {code} do you want to change?", code=item.code), buttons=buttons)
    elif action == "field" and extra in ("observation", "analysis", "suggestion"):
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
    text = await flows.text_input(ctx)
    if text is None:
        return
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
