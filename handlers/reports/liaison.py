"""The liaison's side: buttons on the card in each target, and the private follow-ups they
start (a question for the member, a reply, where to forward, why, which outcome).

Every press is checked: the button must be a real card of an item that is at this target
now, the presser must be a liaison of this target (or an office admin), nobody handles
their own report, and the action must fit the item's state.
"""

from __future__ import annotations

import html
import re

from handlers.core import flows
from handlers.reports import lifecycle, submit, transitions
from handlers.core.buttons import ButtonData, db_id
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from storage import conversations, outbox, people, reference
from storage import items as item_store
from storage import targets as target_store
from storage.conversations import Conversation

# A destination (forward, delegate) or an outcome, chosen in the liaison's private chat.
CHOICE = ButtonData("l", refusal=N_("This button belongs to an earlier step. Please use the latest message."),
                    verb=("fw", "dg", "oc"), item=int, target=int, value=str)
CODE = re.compile(r"^SQ-\d{4}-\d{5}$", re.IGNORECASE)

NEEDS_CLAIM = ("release", "ask", "reply", "forward", "escalate", "delegate", "outcome")
OUTCOME_LABELS = {"adopted": N_("Adopted (采用)"), "reported_up": N_("Reported up (报送)"),
                  "instructed": N_("Leader instruction (批示)"), "answered": N_("Answered"),
                  "not_adopted": N_("Not adopted"), "duplicate": N_("Duplicate of another report")}


async def _check(ctx: Ctx, item_id: int, target_id: int, action: str, *, on_card: bool):
    """Returns (item, target) when the press is allowed, else answers why not and returns None."""
    t = ctx.t
    item = await item_store.by_id(ctx.conn, item_id)
    target = await target_store.by_id(ctx.conn, target_id)
    placement = item and target and await item_store.placement(ctx.conn, item_id, target_id)
    if on_card and placement is not None:
        here = await target_store.by_chat(ctx.conn, ctx.event.chat_id, ctx.event.thread_id)
        sent = await outbox.message_ids_for(ctx.conn, {placement.card_key})
        if here is None or here.id != target_id or \
                sent.get(placement.card_key, (None, None))[1] != ctx.event.message_id:
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
    if action == "claim" and item.status not in item_store.WAITING:
        await ctx.answer(t.plain("This report is already being handled."), alert=True)
        return None
    if action in NEEDS_CLAIM:
        if item.status not in ("claimed", "needs_info", "answered"):
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
    await _ask_privately(ctx, item, target, "reply", ctx.t(
        "Type your reply to the member about {code}. It is passed on by the bot.", code=item.code))


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


async def _outcome(ctx: Ctx, item, target) -> None:
    t = ctx.t
    buttons = [[(t.plain(label), CHOICE.pack("oc", item.id, target.id, code))] for code, label in OUTCOME_LABELS.items()]
    await _ask_privately(ctx, item, target, "choose", t("Which outcome for {code}?", code=item.code),
                         buttons=buttons)


_ACTIONS = {"full": _full_text, "claim": _claim, "release": _release, "close": _close, "ask": _ask, "reply": _reply,
            "forward": _forward, "delegate": _delegate, "escalate": _escalate, "outcome": _outcome}


# --- follow-ups in the liaison's private chat ------------------------------------------------

async def on_choice_button(ctx: Ctx, fields: dict) -> None:
    """A destination or an outcome chosen in private; then the reason is asked for."""
    t = ctx.t
    conv = await conversations.load(ctx.conn, ctx.event.user_id)
    item_id, target_id, verb, value = fields["item"], fields["target"], fields["verb"], fields["value"]
    if conv is None or conv.flow != "card" or conv.step != "choose" or conv.data.get("item_id") != item_id:
        await ctx.answer(t.plain(CHOICE.refusal), alert=True)
        return
    action = {"fw": "forward", "dg": "delegate", "oc": "outcome"}[verb]
    checked = await _check(ctx, item_id, target_id, action, on_card=False)
    if not checked:
        return
    item, _ = checked
    if verb == "oc":
        if value not in OUTCOME_LABELS:
            await ctx.answer(t.plain("This choice is not valid."), alert=True)
            return
        conv.data["outcome"] = value
        prompt = t("Type the code of the report this one duplicates (e.g. SQ-2026-00001).") \
            if value == "duplicate" else t("Type a short note for the member about this outcome.")
    else:
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


async def on_liaison_text(ctx: Ctx, conv: Conversation) -> None:
    t = ctx.t
    if conv.step == "choose":
        await ctx.reply(t("Please choose one of the buttons above, or /cancel to stop."))
        return
    text = await flows.text_input(ctx)
    if text is None:
        return
    if conv.step == "outcome" and conv.data.get("outcome") == "duplicate":
        original = await item_store.by_code(ctx.conn, text) if CODE.match(text) else None
        if original is None or original.id == conv.data["item_id"]:
            await ctx.reply(t("No other report has the code {code}. Type a code like SQ-2026-00001.", code=text))
            return
    checked = await _check(ctx, conv.data["item_id"], conv.data["target_id"], conv.step, on_card=False)
    if checked is None:
        await flows.resume(ctx, conv)
        return
    item, target = checked
    await _FOLLOW_UPS[conv.step](ctx, item, target, conv.data, text)
    await flows.resume(ctx, conv)


def _liaison_signature(ctx: Ctx, lang: str) -> str:
    t = translator(lang)
    if ctx.config.reveal_liaison_names:
        return t("liaison {name}", name=ctx.member.name)
    return t("the liaison")


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
                          who=_liaison_signature(ctx, at.lang))
                       + "\n" + html.escape(text),
                       buttons=[[(at.plain("✍ Answer"), submit.MEMBER.pack("answer", item.id))]])
    await ctx.reply(ctx.t("Your question was sent to the member of {code}.", code=item.code))


async def _do_reply(ctx: Ctx, item, target, data: dict, text: str) -> None:
    await transitions.move(ctx, item, "answered", "replied", actor_id=ctx.member.id, target_id=target.id, body=text)
    lang = await _author_lang(ctx, item)
    await lifecycle.notify_author(ctx, item, N_("💬 Reply about {code} from {who}:"),
                                  who=_liaison_signature(ctx, lang))
    author = await people.by_id(ctx.conn, item.author_id)
    if author.telegram_user_id:
        await ctx.send(author.telegram_user_id, html.escape(text))
    await ctx.reply(ctx.t("Your reply was passed on for {code}.", code=item.code))


async def _do_move(ctx: Ctx, item, target, data: dict, text: str, kind: str) -> None:
    if kind == "escalated":
        to = [t for t in await target_store.of_kind(ctx.conn, "topic", topic=item.topic_code, level="city")
              if t.chat_id is not None] or [o for o in [await target_store.office(ctx.conn)] if o and o.chat_id]
        level = "city"
    else:
        to = [await target_store.by_id(ctx.conn, data["to"])]
        level = "district" if kind == "delegated" else item.level
    if not to:
        await ctx.reply(ctx.t("There is no group to send it to yet; nothing was changed."))
        return
    await transitions.move(ctx, item, kind, kind, actor_id=ctx.member.id, target_id=item.claimed_target_id,
                           to_targets=to, reason=text, level=level, claimed_by=None, claimed_target_id=None)
    lang = await _author_lang(ctx, item)
    where = "、".join(reference.name(x, lang) for x in to)
    message = {"forwarded": N_("↪ {code} was forwarded to {where}. Reason: {reason}"),
               "escalated": N_("⬆ {code} was escalated to the city level: {where}. Reason: {reason}"),
               "delegated": N_("⬇ {code} was delegated to {where}. Reason: {reason}")}[kind]
    await lifecycle.notify_author(ctx, item, message, where=where, reason=text)
    await ctx.reply(ctx.t("Done: {code} is now at {where}.", code=item.code,
                          where="、".join(reference.name(x, ctx.t.lang) for x in to)))


async def _do_outcome(ctx: Ctx, item, target, data: dict, text: str) -> None:
    outcome = data["outcome"]
    duplicate = {"duplicate_of": text.upper()} if outcome == "duplicate" else {}
    await transitions.move(ctx, item, outcome, "outcome", actor_id=ctx.member.id, target_id=target.id, reason=text,
                           outcome=outcome, **duplicate)
    lang = await _author_lang(ctx, item)
    await lifecycle.notify_author(ctx, item, N_("🏁 Outcome for {code}: {outcome}. {note}"),
                                  outcome=translator(lang).plain(OUTCOME_LABELS[outcome]), note=text)
    await ctx.reply(ctx.t("Outcome recorded for {code}.", code=item.code))


async def _escalate_follow_up(ctx, item, target, data, text):
    await _do_move(ctx, item, target, data, text, "escalated")


async def _forward_follow_up(ctx, item, target, data, text):
    await _do_move(ctx, item, target, data, text, "forwarded")


async def _delegate_follow_up(ctx, item, target, data, text):
    await _do_move(ctx, item, target, data, text, "delegated")


_FOLLOW_UPS = {"ask": _do_ask, "reply": _do_reply, "escalate": _escalate_follow_up,
               "forward": _forward_follow_up, "delegate": _delegate_follow_up, "outcome": _do_outcome}
