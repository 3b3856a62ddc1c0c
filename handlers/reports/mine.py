"""The member's own reports after the submit: /my with hop history, edits until a liaison claims
(the three texts, by text or voice; the topic and the place, asked with the submit flow's own
steps, which re-routes the report; the attachments), withdrawing, and answering a liaison's
question (by text or voice)."""

from __future__ import annotations

import html

from handlers.core import flows
from handlers.core.buttons import ButtonData, Optional, db_id
from handlers.core.context import Buttons, Ctx
from handlers.core.i18n import N_, translator
from handlers.reports import lifecycle, merge, submit, transitions
from storage import items as item_store
from storage import reference
from storage import targets as target_store
from storage.conversations import Conversation

TEXTS = ("observation", "analysis", "suggestion")
EDITABLE = ("submitted", *item_store.WAITING)  # until a liaison claims
MEMBER = ButtonData("m", action=("edit", "withdraw", "field", "answer", "files", "unfile"), item=int,
                    extra=Optional(str))  # on /my
CHANGE = ButtonData("e", step=str, value=str)  # a choice while changing the topic or the place
PARTS = {"topic": submit.TOPIC_STEPS, "place": submit.PLACE_STEPS}
FIELD_LABELS = {"title": N_("Title (标题)"), "observation": N_("Observation"), "analysis": N_("Analysis"),
                "suggestion": N_("Suggestion"),
                "topic": N_("Topic"), "place": N_("Place"), "files": N_("Attachments")}
FILE_LABELS = {"photo": N_("photo"), "document": N_("document"), "voice": N_("voice message"),
               "location": N_("location")}
CLAIMED = N_("A liaison is already handling this report, so it can no longer be edited.")


async def my_items(ctx: Ctx) -> None:
    """/my: the member's reports, then each other feature's part (``Feature.my_parts``: topics
    they took part in, meetings they are invited to …)."""
    t = ctx.t
    rows = await item_store.of_author(ctx.conn, ctx.member.id)
    if not rows:
        await ctx.reply(t("You have not submitted any reports yet. /submit starts one."))
    for item in rows[:10]:
        history = await lifecycle.history_lines(ctx.conn, item, t.lang, limit=6)
        merged = await merge.merged_line(ctx.conn, item, t.lang)
        text = "\n".join([f"<b>{lifecycle.titled(item)}</b> · {lifecycle.status_label(item.status, t.lang)}",
                          *([merged] if merged else []), *history])
        await ctx.reply(text, buttons=_item_buttons(item, t))
    for part in ctx.features.my_parts:
        await part(ctx)


def _item_buttons(item, t) -> Buttons:
    row = []
    if item.status in EDITABLE:
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
    elif action == "answer":
        if item.status != "needs_info":
            await ctx.answer(t.plain("No information is requested for this report now."), alert=True)
            return
        await flows.suspend_into(ctx, "answer", "text", {"item_id": item.id})
        await ctx.answer()
        await ctx.reply(t("Type your answer for {code}, or send a voice message; it will be passed on to the "
                          "liaison.", code=item.code))
    elif action in ("edit", "field", "files", "unfile"):
        if item.status not in EDITABLE:
            await ctx.answer(t.plain(CLAIMED), alert=True)
            return
        await _EDITS[action](ctx, item, extra)
    else:
        await ctx.answer(t.plain("This button is not valid."), alert=True)


# --- what an edit offers -------------------------------------------------------------------

async def _edit_menu(ctx: Ctx, item, extra) -> None:
    t = ctx.t
    def b(name: str) -> tuple[str, str]:
        return t.plain(FIELD_LABELS[name]), MEMBER.pack("files", item.id) if name == "files" else \
            MEMBER.pack("field", item.id, name)
    buttons = [[b("title")], [b("observation"), b("analysis"), b("suggestion")],
               [b("topic"), b("place"), b("files")]]
    await ctx.answer()
    await ctx.reply(t("Which part of {code} do you want to change?", code=item.code), buttons=buttons)


async def _edit_field(ctx: Ctx, item, extra) -> None:
    t = ctx.t
    if extra == "title":
        await flows.suspend_into(ctx, "edit", "text", {"item_id": item.id, "field": extra})
        await ctx.answer()
        await ctx.reply(t("Send the new text for this part of {code}.", code=item.code))
    elif extra in TEXTS:
        await flows.suspend_into(ctx, "edit", "text", {"item_id": item.id, "field": extra})
        await ctx.answer()
        await ctx.reply(t("Send the new text for this part of {code}, or a voice message.", code=item.code))
    elif extra in PARTS:
        steps = PARTS[extra]
        data = {"item_id": item.id, "part": extra, "steps": list(steps), "topic": item.topic_code,
                "tags": [tag.code for tag in await item_store.tags_of(ctx.conn, item.id)],  # ticked again
                "area": item.area, "district": item.district_code, "street": item.street_code}
        conv = await flows.suspend_into(ctx, CHANGING.name, steps[0], data)
        await ctx.answer()
        await CHANGING.prompt(ctx, conv)
    else:
        await ctx.answer(t.plain("This button is not valid."), alert=True)


async def _list_files(ctx: Ctx, item, extra) -> None:
    t = ctx.t
    if extra == "add":
        await flows.suspend_into(ctx, "edit", "file", {"item_id": item.id})
        await ctx.answer()
        await ctx.reply(t("Send the photo, document, voice message or location to add to {code}.", code=item.code))
        return
    stored = await item_store.files(ctx.conn, item.id)
    files = [f for f in stored if f.field is None]  # a text's voice is changed with its text
    lines = [t("Attachments of {code}:", code=item.code)]
    lines += [f"{n}. {_file_label(f, t)}" for n, f in enumerate(files, 1)] or [t("none yet")]
    buttons = [[(t.plain("✖ Remove {number}", number=n), MEMBER.pack("unfile", item.id, f.id))]
               for n, f in enumerate(files, 1)]
    if len(stored) < submit.MAX_ATTACHMENTS:
        buttons.append([(t.plain("➕ Add an attachment"), MEMBER.pack("files", item.id, "add"))])
    await ctx.answer()
    await ctx.reply("\n".join(lines), buttons=buttons)


def _file_label(file, t) -> str:
    label = t(FILE_LABELS.get(file.kind, file.kind))
    return f"{label} {html.escape(file.file_name)}" if file.file_name else label


async def _remove_file(ctx: Ctx, item, extra) -> None:
    t = ctx.t
    file_id = db_id(extra)
    item = await item_store.lock_in_state(ctx.conn, item.id, EDITABLE)
    removed = file_id is not None and item is not None and \
        await item_store.remove_files(ctx.conn, item.id, file_id=file_id)
    if not removed:
        await ctx.answer(t.plain("This button is not valid here, or the report has moved on."), alert=True)
        return
    await transitions.move(ctx, item, None, "edited", actor_id=ctx.member.id, reason="attachments")
    group_t = translator(ctx.config.group_language)
    note = group_t("🗑 The member removed an attachment ({kind}) of {code}.",
                   kind=group_t(FILE_LABELS[removed[0].kind]), code=item.code)
    await lifecycle.post_to_cards(ctx, item.id, text=note)
    await ctx.answer(t.plain("Removed."))
    await ctx.reply(t("The attachment was removed from {code}; the liaisons are told.", code=item.code))


_EDITS = {"edit": _edit_menu, "field": _edit_field, "files": _list_files, "unfile": _remove_file}


# --- the topic or the place, asked with the submit flow's own steps -------------------------

async def _apply_change(ctx: Ctx, conv: Conversation) -> None:
    """The part is chosen: the report takes it and goes where the rules now send it. The state is
    checked, and the report locked, in this transaction, so a claim in between wins cleanly."""
    t = ctx.t
    data = conv.data
    item = await item_store.lock_in_state(ctx.conn, data["item_id"], EDITABLE)
    if item is None:
        await ctx.reply(t(CLAIMED))
        await flows.resume(ctx, conv)
        return
    changes = {"topic_code": data["topic"]} if data["part"] == "topic" else {
        "area": data["area"], "district_code": data.get("district"), "street_code": data.get("street"),
        "level": "city" if data["area"] == "city" else "district"}
    if data["part"] == "topic":  # the tags are asked with the topic
        await item_store.set_tags(ctx.conn, item.id, data.get("tags", []))
    new = {**item._mapping, **changes}
    tags = tuple(tag.code for tag in await item_store.tags_of(ctx.conn, item.id))
    trace = await lifecycle.resolve_route(ctx.conn, area=new["area"], topic=new["topic_code"],
                                          district=new["district_code"], street=new["street_code"],
                                          sector=ctx.member.sector_code, tags=tags)
    here = [p.target_id for p in await item_store.placements(ctx.conn, item.id)]
    if not trace.targets or sorted(target.id for target in trace.targets) == sorted(here):
        await transitions.move(ctx, item, None, "edited", actor_id=ctx.member.id, reason=data["part"], **changes)
        targets = [await target_store.by_id(ctx.conn, target_id) for target_id in here]
    else:  # it leaves its cards (they say where it went) for where the rules now say
        await transitions.move(ctx, item, "routed" if item.status == "submitted" else None, "rerouted",
                               actor_id=ctx.member.id, reason=data["part"], to_targets=trace.targets, **changes)
        targets = trace.targets
    where = "、".join(reference.name(target, t.lang) for target in targets)
    await ctx.reply(t("{code} was changed. It is now with: {where}", code=item.code, where=where) if where else
                    t("{code} was changed. It waits for the city office.", code=item.code))
    await flows.resume(ctx, conv)


CHANGING = submit.SUBMIT.reuse("change", CHANGE, ends=lambda conv, step: step not in conv.data["steps"],
                               on_end=_apply_change)


# --- what the member types (or says) after pressing a button ---------------------------------

async def on_member_text(ctx: Ctx, conv: Conversation) -> None:
    """A new text (or voice) for an edit, an attachment to add, or an answer to a liaison's question."""
    if conv.flow == "edit" and conv.step == "file":
        if await _add_file(ctx, conv):
            await flows.resume(ctx, conv)
        return
    if conv.data.get("field") == "title":  # a title is typed, on one line, within its limit
        title = await submit.title_input(ctx)
        taken = None if title is None else (title, None)
    else:
        taken = await flows.text_or_voice(ctx)
    if taken is None:
        return  # the member was told why; the edit waits for another try
    text, voice = taken
    item = await item_store.by_id(ctx.conn, conv.data["item_id"])
    if conv.flow == "edit":
        await _edit_text(ctx, item, conv.data["field"], text, voice)
    else:
        await _relay_answer(ctx, item, text, voice)
    await flows.resume(ctx, conv)


async def _edit_text(ctx: Ctx, item, field: str, text: str, voice: dict | None) -> None:
    t = ctx.t
    item = await item_store.lock_in_state(ctx.conn, item.id, EDITABLE)
    if item is None:
        await ctx.reply(t(CLAIMED))
        return
    await item_store.remove_files(ctx.conn, item.id, field=field)  # a voice the old text was
    if voice:
        await item_store.add_file(ctx.conn, item.id, {**voice, "field": field})
    await transitions.move(ctx, item, None, "edited", actor_id=ctx.member.id, reason=field, **{field: text})
    if voice:
        await lifecycle.post_to_cards(ctx, item.id, file=(await item_store.files(ctx.conn, item.id))[-1])
    await ctx.reply(t("{code} was updated; the liaisons see the new text.", code=item.code))


async def _add_file(ctx: Ctx, conv: Conversation) -> bool:
    """True when the attachment was added, or can no longer be (the edit ends)."""
    t = ctx.t
    file = ctx.event.attachments[0] if ctx.event.attachments else None
    if file is None:
        await ctx.reply(t("Send a photo, document, voice message or location, or /cancel to stop."))
        return False
    problem = flows.file_problem(ctx, file)
    if problem:
        await ctx.reply(problem)
        return False
    item = await item_store.lock_in_state(ctx.conn, conv.data["item_id"], EDITABLE)
    if item is None:
        await ctx.reply(t(CLAIMED))
        return True
    if len(await item_store.files(ctx.conn, item.id)) >= submit.MAX_ATTACHMENTS:
        await ctx.reply(t("A report can carry {count} attachments; this one was not added.",
                          count=submit.MAX_ATTACHMENTS))
        return True
    await item_store.add_file(ctx.conn, item.id, file.record())
    await transitions.move(ctx, item, None, "edited", actor_id=ctx.member.id, reason="attachments")
    await lifecycle.post_to_cards(ctx, item.id, file=(await item_store.files(ctx.conn, item.id))[-1])
    await ctx.reply(t("The attachment was added to {code}; the liaisons have it.", code=item.code))
    return True


async def _relay_answer(ctx: Ctx, item, text: str, voice: dict | None) -> None:
    t = ctx.t
    if item.status != "needs_info":
        await ctx.reply(t("No information is requested for this report now."))
        return
    await transitions.move(ctx, item, "claimed", "info", actor_id=ctx.member.id, body=text)
    if voice:  # kept with the report, as a voice given for one of its texts is
        await item_store.add_file(ctx.conn, item.id, {**voice, "field": "info"})
    group_t = translator(ctx.config.group_language)
    await lifecycle.relay_to_handlers(
        ctx, item, group_t("📨 The member answered about {code}:", code=item.code) + "\n" + html.escape(text),
        file=voice)
    await ctx.reply(t("Thank you. Your answer was passed on for {code}.", code=item.code))
