"""The liaison's side: buttons on the card in each target, and the private follow-ups they
start (a question for the member, a reply, where to forward, why, which outcome: the outcome
chain's steps are outcomes.py's).

Every press is checked: the button must be a real card of an item that is at this target
now, the presser must be a liaison of this target (or an office admin), nobody handles
their own report, and the action must fit the item's state.
"""

from __future__ import annotations

import html

from handlers.core import flows
from handlers.reports import lifecycle, merge, mine, outcomes, transitions
from handlers.core.buttons import ButtonData, db_id, pressed_on
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from storage import conversations, outbox, people, reference
from storage import items as item_store
from storage import targets as target_store
from storage.conversations import Conversation

# A destination (forward, delegate), chosen in the liaison's private chat.
CHOICE = ButtonData("l", refusal=N_("This button belongs to an earlier step. Please use the latest message."),
                    verb=("fw", "dg", "mg"), item=int, target=int, value=str)

NEEDS_CLAIM = ("release", "ask", "reply", "forward", "escalate", "delegate", "outcome", "merge")


async def _check(ctx: Ctx, item_id: int, target_id: int, action: str, *, on_card: bool):
    """Returns (item, target) when the press is allowed, else answers why not and returns None."""
    t = ctx.t
    item = await item_store.by_id(ctx.conn, item_id)
    target = await target_store.by_id(ctx.conn, target_id)
    placement = item and target and await item_store.placement(ctx.conn, item_id, target_id)
    if on_card and placement is not None:
        here = await target_store.by_chat(ctx.conn, ctx.event.chat_id, ctx.event.thread_id)
        sent = (await outbox.message_ids_for(ctx.conn, {placement.card_key})).get(placement.card_key, (None, None))
        in_its_group = here is not None and here.id == target_id  # the group the report is placed in
        if not (in_its_group and pressed_on(ctx.event.message_id, sent, in_its_chat=True)):
            placement = None
    if placement is None:
        await ctx.answer(t.plain("This button is not valid here, or the report has moved on."), alert=True)
        return None
    member = ctx.member
    is_admin = member is not None and member.role == "admin"
    if member is None or not (is_admin or await people.is_liaison_of(ctx.conn, member.id, target_id)):
        await ctx.answer(t.plain("Only the liaisons of this group can act on its reports."), alert=True)
        return None
    if item.author_id == member.id:
        await ctx.answer(t.plain("You cannot handle your own report."), alert=True)
        return None
    if (placement.role == item_store.WATCH) != (action == "takeup"):  # a watch card has that one action
        await ctx.answer(t.plain("This report is here for information (知悉): the district handles it.")
                         if placement.role == item_store.WATCH else
                         t.plain("This button is not valid here, or the report has moved on."), alert=True)
        return None
    if action == "takeup" and not lifecycle.may_take_up(item):
        await ctx.answer(t.plain("This report can no longer be taken up: it is decided or at the city already."),
                         alert=True)
        return None
    if action == "claim" and item.status not in item_store.WAITING:
        await ctx.answer(t.plain("This report is already being handled."), alert=True)
        return None
    if action in NEEDS_CLAIM:
        # an outcome chain goes on after its first step (报送, then 批示, 转办, 反馈)
        handling = (*item_store.HANDLING, *item_store.RESOLVED) if action == "outcome" else item_store.HANDLING
        if item.status not in handling:
            await ctx.answer(t.plain("Claim the report first."), alert=True)
            return None
        if item.claimed_by != member.id and not is_admin:
            await ctx.answer(t.plain("Another liaison is handling this report."), alert=True)
            return None
    if action == "escalate" and item.level != "district" or action == "delegate" and item.level != "city":
        await ctx.answer(t.plain("This report is not at that level."), alert=True)
        return None
    if action == "close" and item.status not in item_store.RESOLVED:
        await ctx.answer(t.plain("Record an outcome before closing."), alert=True)
        return None
    return item, target


async def on_card_button(ctx: Ctx, fields: dict) -> None:
    action = fields["action"]
    checked = await _check(ctx, fields["item"], fields["target"], action, on_card=True)
    if checked is None:
        return
    item, target = checked
    await _ACTIONS[action](ctx, item, target)


# --- actions on the card -------------------------------------------------------------

async def _claim(ctx: Ctx, item, target) -> None:
    # locked, and checked again under the lock: a member's edit that re-routed it just now wins cleanly
    item = await item_store.lock_in_state(ctx.conn, item.id, item_store.WAITING)
    if item is None or await item_store.placement(ctx.conn, item.id, target.id) is None:
        await ctx.answer(ctx.t.plain("This button is not valid here, or the report has moved on."), alert=True)
        return
    await transitions.move(ctx, item, "claimed", "claimed", actor_id=ctx.member.id, target_id=target.id,
                           claimed_by=ctx.member.id, claimed_target_id=target.id)
    await lifecycle.notify_author(ctx, item, N_("🔔 {code} is now being handled by {where}."),
                                  where=reference.name(target, await _author_lang(ctx, item)))
    await ctx.answer(ctx.t.plain("Claimed. The other cards show it is yours."))


async def _full_text(ctx: Ctx, item, target) -> None:
    """A shortened card's whole text, in the presser's private chat (a group may be large)."""
    await ctx.send(ctx.member.telegram_user_id, await lifecycle.render_full_text(ctx.conn, item, ctx.t.lang))
    await ctx.answer(ctx.t.plain("The full text is in your private chat with me."))


async def _release(ctx: Ctx, item, target) -> None:
    await transitions.move(ctx, item, "routed", "released", actor_id=ctx.member.id, target_id=target.id,
                           claimed_by=None, claimed_target_id=None)
    await ctx.answer(ctx.t.plain("Released."))


async def _close(ctx: Ctx, item, target) -> None:
    await transitions.move(ctx, item, "closed", "closed", actor_id=ctx.member.id, target_id=target.id,
                           closed_at=ctx.now)
    await lifecycle.notify_author(ctx, item, N_("📁 {code} is closed. Thank you for your report."))
    await ctx.answer(ctx.t.plain("Closed."))


async def _ask_privately(ctx: Ctx, item, target, step: str, prompt: str, buttons=None, **data) -> None:
    """Continue in the liaison's private chat, so the group stays tidy and nothing leaks."""
    await flows.suspend_into(ctx, "card", step, {"item_id": item.id, "target_id": target.id, **data})
    await ctx.send(ctx.member.telegram_user_id, prompt, buttons=buttons)
    await ctx.answer(ctx.t.plain("Please continue in your private chat with me."))


async def _ask(ctx: Ctx, item, target) -> None:
    await _ask_privately(ctx, item, target, "ask", ctx.t(
        "What more do you need to know about {code}? Type the question for the member.", code=item.code))


async def _reply(ctx: Ctx, item, target) -> None:
    prompt, buttons = await outcomes.with_templates(ctx, item, target, "reply", ctx.t(
        "Type your reply to the member about {code}. It is passed on by the bot.", code=item.code))
    await _ask_privately(ctx, item, target, "reply", prompt, buttons=buttons)


async def _forward(ctx: Ctx, item, target) -> None:
    peers = [p for p in await target_store.bound_peers(ctx.conn, item.level, target.id) if p.kind != "person"]
    await _choose_target(ctx, item, target, "fw", peers, N_("Forward {code} to which group?"))


async def _delegate(ctx: Ctx, item, target) -> None:
    ports = [p for p in await target_store.bound_peers(ctx.conn, "district", target.id) if p.kind == "district"]
    await _choose_target(ctx, item, target, "dg", ports, N_("Delegate {code} to which district?"))


async def _choose_target(ctx: Ctx, item, target, verb: str, choices: list, prompt: str) -> None:
    t = ctx.t
    if not choices:
        await ctx.answer(t.plain("There is no other group to send it to yet."), alert=True)
        return
    buttons = [[(reference.name(c, t.lang), CHOICE.pack(verb, item.id, target.id, c.id))] for c in choices[:30]]
    await _ask_privately(ctx, item, target, "choose", t(prompt, code=item.code), buttons=buttons)


async def _escalate(ctx: Ctx, item, target) -> None:
    await _ask_privately(ctx, item, target, "escalate", ctx.t(
        "Why should {code} go to the city level? Type the reason; the member will see it.", code=item.code))


async def _take_up(ctx: Ctx, item, target) -> None:
    await _ask_privately(ctx, item, target, "takeup", ctx.t(
        "Why should the city take {code} up (提级办理)? Type the reason; the member will see it.", code=item.code))


async def _outcome(ctx: Ctx, item, target) -> None:
    prompt, buttons = await outcomes.kind_prompt(ctx, item, target)
    await _ask_privately(ctx, item, target, "kind", prompt, buttons=buttons)


async def _merge(ctx: Ctx, item, target) -> None:
    found = await merge.candidates(ctx, item, target)
    buttons = [[(f"🔗 {c.code}", CHOICE.pack("mg", item.id, target.id, str(c.id)))] for c in found]
    await _ask_privately(ctx, item, target, "merge", merge.prompt(ctx, item, found), buttons=buttons)


_ACTIONS = {"full": _full_text, "claim": _claim, "release": _release, "close": _close, "ask": _ask, "reply": _reply,
            "forward": _forward, "delegate": _delegate, "escalate": _escalate, "outcome": _outcome,
            "merge": _merge, "takeup": _take_up}


# --- follow-ups in the liaison's private chat ------------------------------------------------

async def on_choice_button(ctx: Ctx, fields: dict) -> None:
    """A destination chosen in private; then the reason is asked for."""
    t = ctx.t
    conv = await conversations.load(ctx.conn, ctx.event.user_id)
    item_id, target_id, verb, value = fields["item"], fields["target"], fields["verb"], fields["value"]
    action = {"fw": "forward", "dg": "delegate", "mg": "merge"}[verb]
    if conv is None or conv.flow != "card" or conv.step != ("merge" if verb == "mg" else "choose") or \
            conv.data.get("item_id") != item_id:
        await ctx.answer(t.plain(CHOICE.refusal), alert=True)
        return
    checked = await _check(ctx, item_id, target_id, action, on_card=False)
    if not checked:
        return
    item, target = checked
    if verb == "mg":
        into = await merge.original(ctx, item, target, item_id=value)
        if into is None:
            await ctx.answer(t.plain("This choice is not valid."), alert=True)
            return
        await ctx.answer()
        await merge.merge(ctx, item, into, target)
        await flows.resume(ctx, conv)
        return
    to = await target_store.by_id(ctx.conn, to_id) if (to_id := db_id(value)) is not None else None
    allowed = {p.id for p in await target_store.bound_peers(
        ctx.conn, item.level if verb == "fw" else "district", target_id)}
    if to is None or to.id not in allowed:
        await ctx.answer(t.plain("This choice is not valid."), alert=True)
        return
    conv.data["to"] = to.id
    prompt = t("Why? Type the reason; the member will see it.")
    conv.step = action
    await conversations.save(ctx.conn, conv, ctx.now)
    await ctx.answer()
    await ctx.reply(prompt)


# The step each press of the outcome steps belongs to (outcomes.STEP): a template also in a reply.
_OUTCOME_STEPS = {"kind": ("kind",), "detail": ("detail",), "template": ("outcome", "reply")}


async def on_outcome_button(ctx: Ctx, fields: dict) -> None:
    """An outcome kind, its detail, or a template chosen in private (outcomes.py), checked here
    like every press of a liaison: the latest step, the item's state, the presser's right."""
    t = ctx.t
    conv = await conversations.load(ctx.conn, ctx.event.user_id)
    verb, value = fields["verb"], fields["value"]
    if conv is None or conv.flow != "card" or conv.step not in _OUTCOME_STEPS[verb] \
            or conv.data.get("item_id") != fields["item"] or conv.data.get("target_id") != fields["target"]:
        await ctx.answer(t.plain(outcomes.STEP.refusal), alert=True)
        return
    checked = await _check(ctx, fields["item"], fields["target"], "reply" if conv.step == "reply" else "outcome",
                           on_card=False)
    if not checked:
        return
    item, target = checked
    if verb == "template":
        text = await outcomes.template_text(ctx.conn, item, conv.data.get("outcome", "reply"), value)
        if text is None:
            await ctx.answer(t.plain("This choice is not valid."), alert=True)
            return
        await ctx.answer()
        await _FOLLOW_UPS[conv.step](ctx, item, target, conv.data, text)
        await flows.resume(ctx, conv)
        return
    chosen = outcomes.on_kind if verb == "kind" else outcomes.on_detail
    if not await chosen(ctx, conv, item, target, value):
        await ctx.answer(t.plain("This choice is not valid."), alert=True)
        return
    await ctx.answer()


async def on_liaison_text(ctx: Ctx, conv: Conversation) -> None:
    t = ctx.t
    if conv.step in ("choose", "kind", "detail"):
        await ctx.reply(t("Please choose one of the buttons above, or /cancel to stop."))
        return
    text = await flows.text_input(ctx)
    if text is None:
        return
    checked = await _check(ctx, conv.data["item_id"], conv.data["target_id"], conv.step, on_card=False)
    if checked is None:
        await flows.resume(ctx, conv)
        return
    item, target = checked
    if conv.step == "merge":
        into = await merge.original(ctx, item, target, code=text)
        if into is None:  # unknown, or never at this group: the same answer
            await ctx.reply(t("No other report your group has had carries the code {code}. Type a code like "
                              "SQ-2026-00001.", code=text))
            return
        await merge.merge(ctx, item, into, target)
    else:
        await _FOLLOW_UPS[conv.step](ctx, item, target, conv.data, text)
    await flows.resume(ctx, conv)


def _liaison_signature(ctx: Ctx, target, lang: str) -> str:
    """A city topic group's liaison is its 承办人 (handler); district and street ones are 联络员."""
    t = translator(lang)
    named = ctx.config.reveal_liaison_names
    if target.kind == "topic":
        return t("handler {name}", name=ctx.member.name) if named else t("the handler")
    return t("liaison {name}", name=ctx.member.name) if named else t("the liaison")


async def _author_lang(ctx: Ctx, item) -> str:
    author = await people.by_id(ctx.conn, item.author_id)
    return translator(author.language).lang


async def _do_ask(ctx: Ctx, item, target, data: dict, text: str) -> None:
    await transitions.move(ctx, item, "needs_info", "asked", actor_id=ctx.member.id, target_id=target.id, body=text)
    author = await people.by_id(ctx.conn, item.author_id)
    if author.telegram_user_id:
        at = translator(author.language)
        await ctx.send(author.telegram_user_id,
                       at("❓ About {code}, {who} asks:", code=lifecycle.titled(item),
                          who=_liaison_signature(ctx, target, at.lang))
                       + "\n" + html.escape(text),
                       buttons=[[(at.plain("✍ Answer"), mine.MEMBER.pack("answer", item.id))]])
    await ctx.reply(ctx.t("Your question was sent to the member of {code}.", code=item.code))


async def _do_reply(ctx: Ctx, item, target, data: dict, text: str) -> None:
    await transitions.move(ctx, item, "answered", "replied", actor_id=ctx.member.id, target_id=target.id, body=text)
    lang = await _author_lang(ctx, item)
    await lifecycle.notify_author(ctx, item, N_("💬 Reply about {code} from {who}:"),
                                  who=_liaison_signature(ctx, target, lang))
    author = await people.by_id(ctx.conn, item.author_id)
    if author.telegram_user_id:
        await ctx.send(author.telegram_user_id, html.escape(text))
    await ctx.reply(ctx.t("Your reply was passed on for {code}.", code=item.code))


async def _do_move(ctx: Ctx, item, target, data: dict, text: str, kind: str) -> None:
    if kind == "escalated":
        to = [t for t in await target_store.of_kind(ctx.conn, "topic", topic=item.topic_code, level="city")
              if t.chat_id is not None] or [o for o in [await target_store.office(ctx.conn)] if o and o.chat_id]
        level = "city"
    elif kind == "taken_up":  # by the city group watching it, from its watch card
        to, level = [target], "city"
    else:
        to = [await target_store.by_id(ctx.conn, data["to"])]
        level = "district" if kind == "delegated" else item.level
    if not to:
        await ctx.reply(ctx.t("There is no group to send it to yet; nothing was changed."))
        return
    status, acting_at = ("escalated", target.id) if kind == "taken_up" else (kind, item.claimed_target_id)
    await transitions.move(ctx, item, status, kind, actor_id=ctx.member.id, target_id=acting_at,
                           to_targets=to, reason=text, level=level, claimed_by=None, claimed_target_id=None,
                           keep_watching=target.id if kind == "delegated" else None)  # the city still sees it
    lang = await _author_lang(ctx, item)
    where = "、".join(reference.name(x, lang) for x in to)
    message = {"forwarded": N_("↪ {code} was forwarded to {where}. Reason: {reason}"),
               "escalated": N_("⬆ {code} was escalated to the city level: {where}. Reason: {reason}"),
               "taken_up": N_("⬆ {code} was taken up by the city (提级办理): {where}. Reason: {reason}"),
               "delegated": N_("⬇ {code} was delegated to {where}. Reason: {reason}")}[kind]
    await lifecycle.notify_author(ctx, item, message, where=where, reason=text)
    await ctx.reply(ctx.t("Done: {code} is now at {where}.", code=item.code,
                          where="、".join(reference.name(x, ctx.t.lang) for x in to)))


async def _escalate_follow_up(ctx, item, target, data, text):
    await _do_move(ctx, item, target, data, text, "escalated")


async def _take_up_follow_up(ctx, item, target, data, text):
    await _do_move(ctx, item, target, data, text, "taken_up")
    claimer = item.claimed_by and await people.by_id(ctx.conn, item.claimed_by)  # a district liaison had it
    if claimer and claimer.telegram_user_id:
        at = translator(claimer.language)
        await ctx.send(claimer.telegram_user_id, at(
            "⬆ The city took {code} up (提级办理), which you were handling: it is now at {where}. Reason: {reason}",
            code=item.code, where=reference.name(target, at.lang), reason=text))


async def _forward_follow_up(ctx, item, target, data, text):
    await _do_move(ctx, item, target, data, text, "forwarded")


async def _delegate_follow_up(ctx, item, target, data, text):
    await _do_move(ctx, item, target, data, text, "delegated")


_FOLLOW_UPS = {"ask": _do_ask, "reply": _do_reply, "escalate": _escalate_follow_up, "forward": _forward_follow_up,
               "delegate": _delegate_follow_up, "outcome": outcomes.record, "takeup": _take_up_follow_up}
