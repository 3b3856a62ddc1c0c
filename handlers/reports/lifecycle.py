"""The life of an item: routing, the card in each target, and telling the member every hop.

An item's states (OPEN, WAITING, RESOLVED, CLOSED) and its allowed moves live with the items, in
storage/items.py; every move goes through transitions.move, which uses the cards drawn here.
Cards are edited in place (``{"$ref": card_key}``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from handlers.core.buttons import ButtonData
from handlers.core.context import Buttons, Ctx, clip, utf16_len
from handlers.core.i18n import N_, Html, translator
from handlers.core.localtime import shown
from handlers.reports import chain
from storage import cosign as cosign_store
from storage import items as item_store
from storage import outcomes as outcome_store
from storage import people, reference
from storage import targets as target_store
from storage import timers

STATUS_LABELS = {
    "submitted": N_("submitted"), "routed": N_("waiting to be claimed"),
    "forwarded": N_("forwarded, waiting to be claimed"),
    "escalated": N_("escalated to the city, waiting to be claimed"),
    "delegated": N_("delegated to the district, waiting to be claimed"),
    "claimed": N_("being handled"), "needs_info": N_("waiting for more information from the member"),
    "answered": N_("answered"), "adopted": N_("adopted (采用)"), "reported_up": N_("reported up (报送)"),
    "instructed": N_("leader instruction (批示)"), "transferred": N_("transferred to a department (转办)"),
    "feedback": N_("department feedback received (反馈)"), "not_adopted": N_("not adopted"),
    "duplicate": N_("duplicate"), "withdrawn": N_("withdrawn by the member"), "closed": N_("closed"),
}
AREA_LABELS = {"city": N_("city-wide"), "district": N_("district"), "street": N_("street")}
# UTF-16 units per field on a card: three full fields and the rest stay far inside Telegram's
# 4096, whatever a member typed; the full text is a button away (liaison.py, "full")
FIELD_LIMIT_ON_CARD = 700


def titled(item) -> Html:
    """The code with the member's title, as lists and messages name a report:
    SQ-2026-00012「老旧小区夜间停车难」 (a report from before titles: its code alone). HTML."""
    return Html(item.code + (f"「{html.escape(item.title)}」" if item.title else ""))


def status_label(status: str, lang: str) -> str:
    return translator(lang)(STATUS_LABELS[status])


async def merged_into(conn, item) -> str:
    """The code of the report this one was merged into ("" when it was not)."""
    return (await item_store.by_id(conn, item.duplicate_of)).code if item.duplicate_of else ""


@dataclass
class RouteTrace:
    targets: list  # target rows the item is handled at
    watchers: list  # city topic groups that are shown it for information (知悉), not handling it
    lines: list[str]  # one line per target a matching rule met (for `linkage route test`)
    fallback: bool


async def resolve_route(conn, *, area: str, topic: str, district: str | None, street: str | None,
                        sector: str | None, tags: tuple[str, ...] = (), as_if_bound: bool = False) -> RouteTrace:
    """Walk the ordered rules: every matching rule adds its bound targets; a matching 'stop'
    rule that added a target ends the walk. A matching 'watch' rule that added a target for a
    district or street item also shows the item to the city topic group(s) of its topic (知悉),
    unless such a group ends up handling it. Nothing bound → the city office intake.
    ``as_if_bound``: the walk once every target has its group (the office plans before binding);
    the lines mark the targets not bound yet."""
    chosen: list = []
    watchers: list = []
    lines: list[str] = []

    def take(into: list, target, head: str) -> bool:
        if target.chat_id is None and not as_if_bound:
            lines.append(f"{head} {target.name} is not bound, skipped")
            return False
        if any(t.id == target.id for t in into):
            return False
        into.append(target)
        lines.append(f"{head} → {target.name}" + (" (not bound)" if target.chat_id is None else ""))
        return True

    for rule in await target_store.rules(conn):
        if not rule.matches(area=area, topic=topic, district=district, street=street, sector=sector, tags=tags):
            continue
        head = f"rule #{rule.id} (pos {rule.position})"
        added = [target_id for target_id in rule.target_ids
                 if take(chosen, await target_store.by_id(conn, target_id), head + " matches:")]
        if rule.watch and added and area != "city":
            for group in await target_store.of_kind(conn, "topic", topic=topic, level="city"):
                take(watchers, group, head + " watch (知悉):")
        if rule.stop and added:
            lines.append(f"rule #{rule.id} stops the walk")
            break
    fallback = not chosen
    if fallback:
        office = await target_store.office(conn)
        if office is not None and (office.chat_id is not None or as_if_bound):
            chosen.append(office)
            lines.append(f"no bound target matched: fallback → {office.name}"
                         + (" (not bound)" if office.chat_id is None else ""))
        else:
            lines.append("no bound target matched and the office intake is not bound: the item waits")
    handling = {t.id for t in chosen}
    return RouteTrace(chosen, [w for w in watchers if w.id not in handling], lines, fallback)


# --- what people see ---------------------------------------------------------------

async def author_label(conn, item, author, lang: str) -> str:
    t = translator(lang)
    if item.privacy == "named":
        return html.escape(author.name)
    if item.privacy == "office":
        return t("member {alias}", alias=await people.alias(conn, author.id))
    return t("anonymous member")


async def place_label(conn, item, lang: str) -> str:
    t = translator(lang)
    if item.area == "city":
        return t("city-wide")
    district, street = await people.place_names(conn, item.district_code, item.street_code)
    parts = [reference.name(district, lang)] + ([reference.name(street, lang)] if street else [])
    return html.escape(" · ".join(p for p in parts if p))


def _clip(text: str | None) -> str:
    return html.escape(clip(text or "", FIELD_LIMIT_ON_CARD))


def is_shortened(item) -> bool:
    """Whether the card shows less than the member wrote."""
    return any(utf16_len(text or "") > FIELD_LIMIT_ON_CARD
               for text in (item.observation, item.analysis, item.suggestion))


async def render_full_text(conn, item, lang: str) -> str:
    """The report's own words in full, for a liaison (sent in as many messages as it takes)."""
    t = translator(lang)
    lines = [t("📄 Full text of {code}", code=item.code), t("<b>Observation (情况)</b>"), html.escape(item.observation)]
    if item.analysis:
        lines += [t("<b>Analysis (分析)</b>"), html.escape(item.analysis)]
    lines += [t("<b>Suggestion (建议)</b>"), html.escape(item.suggestion)]
    return "\n".join(lines)


async def render_body(conn, item, lang: str, *, for_author: bool) -> str:
    """The report itself, as the author or a handling target sees it."""
    t = translator(lang)
    topic = await reference.topic(conn, item.topic_code)
    author = await people.by_id(conn, item.author_id)
    lines = [f"📋 <b>{titled(item)}</b> · {html.escape(reference.name(topic, lang))}"]
    tags = await item_store.tags_of(conn, item.id)
    if tags:
        lines.append(t("Tags: {tags}", tags="、".join(reference.name(tag, lang) for tag in tags)))
    lines.append(t("Area: {place}", place=Html(await place_label(conn, item, lang))))
    if not for_author:
        lines.append(t("From: {who}", who=Html(await author_label(conn, item, author, lang))))
    lines += ["", t("<b>Observation (情况)</b>"), _clip(item.observation)]
    if item.analysis:
        lines += [t("<b>Analysis (分析)</b>"), _clip(item.analysis)]
    lines += [t("<b>Suggestion (建议)</b>"), _clip(item.suggestion)]
    files = await item_store.files(conn, item.id)
    if files:
        lines.append(t("Attachments: {count}", count=len(files)))
    cosigners = cosigners_line(item, await cosign_store.of_item(conn, item.id), lang, for_author=for_author)
    if cosigners:
        lines.append(cosigners)
    return "\n".join(lines)


def cosigners_line(item, rows, lang: str, *, for_author: bool) -> str | None:
    """Co-signers (联名) as the author sees them (everyone asked, with their answer), or as a card
    shows them (those who signed: names on a named report, else only how many — co-signers must
    not hint at an author who chose not to be named)."""
    t = translator(lang)
    if for_author:
        marks = {"signed": "✓", "declined": "✗", "invited": "…"}
        return t("Co-signers (联名): {names}", names="、".join(r.name + marks[r.status] for r in rows)) \
            if rows else None
    signed = [r for r in rows if r.status == "signed"]
    if not signed:
        return None
    if item.privacy == "named":
        return t("Co-signed (联名) by: {names}", names="、".join(r.name for r in signed))
    return t("Co-signed (联名) by {count} member(s)", count=len(signed))


async def _actor_name(conn, member_id: int | None, lang: str) -> str:
    if member_id is None:
        return ""
    member = await people.by_id(conn, member_id)
    return html.escape(member.name) if member else ""


async def render_card(ctx: Ctx, item, placement) -> tuple[str, Buttons]:
    lang = ctx.config.group_language
    t = translator(lang)
    text = await render_body(ctx.conn, item, lang, for_author=False)
    status = t(STATUS_LABELS[item.status])
    if item.claimed_by and item.status not in item_store.CLOSED:
        here = await target_store.by_id(ctx.conn, item.claimed_target_id)
        status += " · " + t("claimed by {name} ({where})", name=Html(await _actor_name(ctx.conn, item.claimed_by, lang)),
                            where=reference.name(here, lang))
    if item.duplicate_of:
        status += " · " + t("merged into {code}", code=await merged_into(ctx.conn, item))
    text += "\n\n" + t("Status: {status}", status=Html(status))
    outcome = await chain.card_line(ctx.conn, item, lang)
    if outcome:
        text += "\n" + outcome
    if placement.active and placement.role == item_store.WATCH:
        text += "\n" + t("👁 For the city's information (知悉): handled by {where}.",
                         where=await _current_places(ctx, item, lang))
        return text, watch_buttons(item, placement.target_id, t)
    if is_shortened(item) and placement.active and item.status not in item_store.CLOSED:
        text += "\n" + t("The text is shortened here (…): 📄 Full text sends all of it to your private chat.")
    if not placement.active:
        where = await _current_places(ctx, item, lang)
        text += "\n" + t("This report is no longer handled here. Now at: {where}", where=where)
        return text, []
    return text, card_buttons(item, placement.target_id, t)


async def _current_places(ctx: Ctx, item, lang: str) -> str:
    names = []
    for placement in await item_store.placements(ctx.conn, item.id):
        names.append(reference.name(await target_store.by_id(ctx.conn, placement.target_id), lang))
    return "、".join(names) or "—"


CARD_ACTIONS = ("claim", "full", "release", "ask", "reply", "forward", "escalate", "delegate", "outcome", "close",
                "merge", "takeup")
# A button on a report's card, in its group or a person target's private chat.
CARD = ButtonData("c", refusal=N_("This button is not valid here, or the report has moved on."),
                  item=int, target=int, action=CARD_ACTIONS)

def card_buttons(item, target_id: int, t) -> Buttons:
    def b(label: str, action: str) -> tuple[str, str]:
        return (t.plain(label), CARD.pack(item.id, target_id, action))

    if item.status in item_store.CLOSED:
        return []
    full_text = [[b(N_("📄 Full text"), "full")]] if is_shortened(item) else []
    if item.status in item_store.WAITING:
        return [[b(N_("✋ Claim"), "claim")], *full_text]
    if item.status in item_store.RESOLVED:  # the chain may go on (报送 → 批示 → 转办 → 反馈) before closing
        return [[b(N_("🏁 Next outcome step"), "outcome"), b(N_("✅ Close"), "close")], *full_text]
    level_move = b(N_("⬆ Escalate to city"), "escalate") if item.level == "district" else \
        b(N_("⬇ Delegate to district"), "delegate")
    return [[b(N_("💬 Reply to member"), "reply"), b(N_("❓ Ask for information"), "ask")],
            [b(N_("↪ Forward"), "forward"), level_move],
            [b(N_("🏁 Record outcome"), "outcome"), b(N_("↩ Release"), "release")],
            [b(N_("🔗 Merge into another report"), "merge")], *full_text]


def may_take_up(item) -> bool:
    """Whether a watching city group may take the item up (提级办理): the district has it open."""
    return item.level == "district" and item.status in (*item_store.WAITING, *item_store.HANDLING)


def watch_buttons(item, target_id: int, t) -> Buttons:
    """A watch card's one action: take the item up to the city."""
    if not may_take_up(item):
        return []
    return [[(t.plain(N_("⬆ Take up at the city (提级办理)")), CARD.pack(item.id, target_id, "takeup"))]]


async def refresh_cards(ctx: Ctx, item_id: int, placements: list | None = None) -> None:
    """Edit every card of the item in place to show its current state (only that: what else a
    change of state sets off, transitions.move sees to)."""
    item = await item_store.by_id(ctx.conn, item_id)
    if placements is None:
        placements = await item_store.placements(ctx.conn, item_id, role=None)
    for placement in placements:
        target = await target_store.by_id(ctx.conn, placement.target_id)
        if target.chat_id is None:
            continue
        text, buttons = await render_card(ctx, item, placement)
        await ctx.edit(target.chat_id, {"$ref": placement.card_key}, text, buttons=buttons,
                       is_group=target.kind != "person")


async def deliver(ctx: Ctx, item_id: int, target, role: str = item_store.HANDLE) -> None:
    """Put the item at a target (to handle, or to watch): a card, then its attachments as
    replies to the card."""
    card_key = await item_store.place(ctx.conn, item_id, target.id, ctx.now, role)
    item = await item_store.by_id(ctx.conn, item_id)
    placement = await item_store.placement(ctx.conn, item_id, target.id)
    text, buttons = await render_card(ctx, item, placement)
    is_group = target.kind != "person"
    await ctx.send(target.chat_id, text, buttons=buttons, thread_id=target.thread_id, key=card_key,
                   is_group=is_group)
    for file in await item_store.files(ctx.conn, item_id):
        await send_attachment(ctx, target.chat_id, file, thread_id=target.thread_id,
                              reply_to={"$ref": card_key}, is_group=is_group)


async def card_lost(conn, outbox_key: str | None, now) -> None:
    """Called by the sender when a message failed for good: if it was a card, the item is seen
    to (``_on_card_lost``) as a due timer, through the scheduler like any handler work."""
    if outbox_key and outbox_key.startswith("card:"):
        await timers.schedule(conn, f"card-lost:{outbox_key}", "card.lost", now, payload={"card_key": outbox_key})


async def on_card_lost(ctx: Ctx, timer) -> None:
    """A card Telegram would not take (the group is gone, the bot was removed): the item leaves that
    place; with nowhere left it goes to the city office intake, and the member is told either way
    (the receipt only said where it was routed)."""
    placement = await item_store.placement_of_card(ctx.conn, timer.payload["card_key"])
    if placement is None or not placement.active:
        return
    await item_store.leave(ctx.conn, placement.item_id, [placement.target_id], role=placement.role)
    if placement.role == item_store.WATCH:
        return  # it was never handled there: nothing to move, nobody to tell
    item = await item_store.by_id(ctx.conn, placement.item_id)
    lost = await target_store.by_id(ctx.conn, placement.target_id)
    author = await people.by_id(ctx.conn, item.author_id)
    lang = translator(author.language).lang
    office = await target_store.office(ctx.conn)
    if item.status in item_store.CLOSED or await item_store.placements(ctx.conn, item.id):
        await notify_author(ctx, item, N_("⚠ {code} could not be shown in {lost}; it is still handled elsewhere."),
                            lost=reference.name(lost, lang))
    elif office is not None and office.chat_id is not None and office.id != lost.id:
        await deliver(ctx, item.id, office)
        await item_store.add_event(ctx.conn, item.id, "routed", ctx.now, status_from=item.status,
                                   status_to=item.status, to_target_id=office.id, reason="card lost")
        await notify_author(ctx, item, N_("⚠ {code} could not be shown in {lost}; it went to {where} instead."),
                            lost=reference.name(lost, lang), where=reference.name(office, lang))
    else:
        await notify_author(ctx, item, N_("⚠ {code} could not be shown in {lost}. It waits for the city office, "
                                          "which has been told."), lost=reference.name(lost, lang))
        for admin in await people.admins(ctx.conn):
            at = translator(admin.language)
            await ctx.send(admin.telegram_user_id, at("⚠ The card of {code} could not be posted in {lost}, and no "
                                                      "other place is left for it: it waits for you.",
                                                      code=item.code, lost=reference.name(lost, at.lang)))


async def send_attachment(ctx: Ctx, chat_id: int, file, *, thread_id=None, reply_to=None,
                          is_group: bool = False) -> None:
    params: dict = {"chat_id": chat_id}
    if thread_id:
        params["message_thread_id"] = thread_id
    if reply_to is not None:
        params["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
    file = file if isinstance(file, dict) else file._mapping  # a stored row, or a record not stored
    if file["kind"] == "location":
        params.update(latitude=float(file["latitude"]), longitude=float(file["longitude"]))
        await ctx.call("sendLocation", params, chat_id=chat_id, is_group=is_group)
        return
    method = {"photo": "sendPhoto", "document": "sendDocument", "voice": "sendVoice"}[file["kind"]]
    params[file["kind"]] = file["file_id"]
    await ctx.call(method, params, chat_id=chat_id, is_group=is_group)


async def notify_author(ctx: Ctx, item, msgid: str, **values) -> None:
    """Tell the member what happened to their report, in their language."""
    author = await people.by_id(ctx.conn, item.author_id)
    if author is None or author.telegram_user_id is None:
        return
    t = translator(author.language)
    await ctx.send(author.telegram_user_id, t(msgid, code=titled(item), **values))


async def history_lines(conn, item, lang: str, *, limit: int | None = None) -> list[str]:
    """The member's view of the hops: when, what, where, why (liaisons are not named)."""
    t = translator(lang)
    lines = []
    events = await item_store.events(conn, item.id)
    # an outcome event and its chain step are written in one transaction, at the same moment
    steps = {step.created_at: step for step in await outcome_store.chain(conn, item.id)} \
        if any(event.kind == "outcome" for event in events) else {}
    for event in events:
        when = shown(event.created_at)
        where = ""
        if event.to_target_id:
            where = reference.name(await target_store.by_id(conn, event.to_target_id), lang)
        if event.kind == "outcome" and event.created_at in steps:
            label = t("outcome recorded: {step}", step=chain.step_label(steps[event.created_at], lang))
        else:
            label = t(EVENT_LABELS.get(event.kind, event.kind), where=where)
        if event.reason and event.kind in REASONS_SHOWN:
            label += " — " + html.escape(event.reason)
        lines.append(f"{when} {label}")
    return lines[-limit:] if limit else lines

REASONS_SHOWN = ("forwarded", "escalated", "taken_up", "delegated", "outcome", "merged", "merged_in")  # told the member
EVENT_LABELS = {
    "submitted": N_("submitted"), "routed": N_("routed to {where}"), "claimed": N_("claimed"),
    "released": N_("released for another liaison"), "asked": N_("more information requested"),
    "info": N_("you added information"), "replied": N_("reply received"),
    "forwarded": N_("forwarded to {where}"), "escalated": N_("escalated to {where}"),
    "delegated": N_("delegated to {where}"), "outcome": N_("outcome recorded"),
    "watched": N_("shown to {where} for information (知悉)"), "taken_up": N_("taken up by {where} (提级办理)"),
    "closed": N_("closed"), "withdrawn": N_("withdrawn"), "edited": N_("edited"),
    "merged": N_("merged into another report"),
    "merged_in": N_("a report on the same problem was merged into this one"),
    "rerouted": N_("changed by you, now routed to {where}"),
}


async def relay_to_handlers(ctx: Ctx, item, text: str, *, file=None) -> None:
    """Pass a member's words (and the voice message they spoke them in) to where the item is
    handled: a reply to the claiming target's card, and a private message to the claiming liaison."""
    if item.claimed_target_id is None:
        return
    placement = await item_store.placement(ctx.conn, item.id, item.claimed_target_id)
    target = await target_store.by_id(ctx.conn, item.claimed_target_id)
    if placement is not None and target.chat_id is not None:
        reply = dict(thread_id=target.thread_id, reply_to={"$ref": placement.card_key},
                     is_group=target.kind != "person")
        await ctx.send(target.chat_id, text, **reply)
        if file is not None:
            await send_attachment(ctx, target.chat_id, file, **reply)
    claimer = await people.by_id(ctx.conn, item.claimed_by)
    if claimer is not None and claimer.telegram_user_id and claimer.telegram_user_id != target.chat_id:
        await ctx.send(claimer.telegram_user_id, text)
        if file is not None:
            await send_attachment(ctx, claimer.telegram_user_id, file)


async def post_to_cards(ctx: Ctx, item_id: int, *, text: str | None = None, file=None) -> None:
    """A note or an attachment added later, as a reply to each card of the item where it is now."""
    for placement in await item_store.placements(ctx.conn, item_id):
        target = await target_store.by_id(ctx.conn, placement.target_id)
        if target.chat_id is None:
            continue
        reply = dict(thread_id=target.thread_id, reply_to={"$ref": placement.card_key},
                     is_group=target.kind != "person")
        if text is not None:
            await ctx.send(target.chat_id, text, **reply)
        if file is not None:
            await send_attachment(ctx, target.chat_id, file, **reply)
