"""The member's side: the guided submission (domain → topic → tags → area → 标题 → 情况 → similar
reports → 分析 → 建议 → attachments → co-signers → privacy → preview → submit; the first three in
topic_menu.py); /my, edits and answers are in mine.py. The draft lives in the database at every step."""

from __future__ import annotations

import html

from handlers.reports import cosign
from handlers.core import flows
from handlers.reports import clusters, duplicates, topic_menu, transitions
from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx, utf16_len
from handlers.core.flows import Step, remember
from handlers.core.i18n import N_, Html
from storage import conversations, people, reference
from storage import items as item_store
from storage.conversations import Conversation

# Who sees the author's name, for each choice — every place it appears: the cards in the groups the
# report reaches (lifecycle.author_label), the office's exports (exports.py), the co-signers'
# invitations (cosign.py) and the adopted highlights of the members' news (digests/render.py).
# A change to any of those must change these words (tests/test_privacy.py checks they agree).
PRIVACY = {"named": N_("Named: the liaisons and handlers of the groups it reaches, the office and your "
                       "co-signers see your name; once it is adopted, the news members get names you."),
           "office": N_("Alias: liaisons and handlers see only an alias; the office and your co-signers "
                        "see your name; the news does not name you."),
           "anonymous": N_("Anonymous: liaisons, handlers and the office do not see your name (only the "
                           "system administrators hold it; an export that shows it is logged); your co-signers "
                           "see it; the news does not name you.")}
PRIVACY_BUTTONS = {"named": N_("Named"), "office": N_("Alias"), "anonymous": N_("Anonymous")}
MAX_ATTACHMENTS = 10
TITLE_LIMIT = 30  # characters as Telegram counts them (UTF-16 units): a line in a list, a digest, a file
STEP = ButtonData("s", step=str, value=str)  # a choice in the draft's current step


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


async def title_input(ctx: Ctx) -> str | None:
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
    title = await title_input(ctx)
    if title is not None:
        conv.data["title"] = title
    return title is not None


async def _take_text(ctx: Ctx, conv: Conversation) -> bool:
    """The step's text, or a voice message kept as an attachment that stands for it."""
    empty = N_("Please type this part as text, or send a voice message. Files can be added in a later step.") \
        if ctx.event.attachments else N_("This step needs some text. Please type it, or /cancel to stop.")
    taken = await flows.text_or_voice(ctx, empty_msgid=empty)
    if taken is None:
        return False
    text, voice = taken
    files = [f for f in conv.data.get("files", []) if f.get("field") != conv.step]  # a step answered again
    conv.data["files"] = files + ([{**voice, "field": conv.step}] if voice else [])
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
    problem = flows.file_problem(ctx, file)
    if problem:
        await ctx.reply(problem, buttons=done)
        return False
    files = conv.data.setdefault("files", [])
    if len(files) >= MAX_ATTACHMENTS:
        await ctx.reply(t("A report can carry {count} attachments; this one was not added. Press Done.",
                          count=MAX_ATTACHMENTS), buttons=done)
        return False
    files.append(file.record())
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


async def _privacy_prompt(ctx: Ctx, conv: Conversation) -> str:
    """The three choices in full (the buttons only name them): who sees the name, everywhere."""
    return "\n".join([ctx.t("<b>Step 9.</b> Who may see that this report is yours?"),
                      *("· " + ctx.t(PRIVACY[code]) for code in PRIVACY)])


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
    route = await transitions.route_item(ctx, item_id)
    await clusters.on_submitted(ctx, item_id)
    await cosign.invite_all(ctx, item_id, data.get("cosigners", []))
    t = ctx.t
    where = "、".join(reference.name(target, t.lang) for target in route.targets)
    text = t("✅ Received. Your reference code is <b>{code}</b>.", code=code) + "\n"
    # "routed", not "delivered": the card is still on its way (the member is told when it is claimed)
    text += t("Routed to: {where}", where=where) if route.targets else \
        t("It is queued for the city office and will be delivered as soon as a handling group is set up.")
    if route.targets and route.watchers:
        text += "\n" + t("Also shown for the city's information (知悉) to: {where}",
                         where="、".join(reference.name(target, t.lang) for target in route.watchers))
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
         on_text=_take_text, next="similar"),
    # asked only when similar open reports exist: co-sign one of them instead (ends the flow), or go on
    Step("similar", duplicates.prompt, choices=duplicates.choices, on_choice=duplicates.choose,
         skip=duplicates.find, next=duplicates.after("analysis")),
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
    Step("privacy", _privacy_prompt,
         choices=[[(label, code)] for code, label in PRIVACY_BUTTONS.items()], on_choice=remember("privacy"),
         next="preview"),
    Step("preview", _preview,
         choices=[[(N_("✅ Submit"), "submit"), (N_("✖ Cancel"), "cancel")]], on_choice=_confirm),
])

# The steps choosing the topic (every screen before the place: a domain, then a topic, or one list)
# and the place: a member's edit asks them again (handlers/reports/mine.py).
PLACE_STEPS = ("area", "district", "street")
TOPIC_STEPS = tuple(list(SUBMIT.steps)[:list(SUBMIT.steps).index(PLACE_STEPS[0])])
