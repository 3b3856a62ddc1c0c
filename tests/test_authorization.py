"""Who may press which card button: {member, liaison of another group, liaison of this group,
office admin} × every card action, through the real bot: each press gets exactly its expected
answer and effect."""

from __future__ import annotations

from sqlalchemy import update

from handlers.features import REGISTRY
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.reports.transitions import route_item
from storage import items as item_store
from storage import people
from storage.schema import conversations, items

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
ACTIONS = ("claim", "release", "ask", "reply", "forward", "delegate", "outcome", "close")
PRIVATE = zh.plain("Please continue in your private chat with me.")
NOT_THEIRS = zh.plain("Only the liaisons of this group can act on its reports.")
# What a liaison of the group, or an office admin (who may act on any card, claimed or not), is
# answered, and the item's status after the press; "private" actions continue in a conversation.
ALLOWED = {
    "claim": (zh.plain("Claimed. The other cards show it is yours."), "claimed"),
    "release": (zh.plain("Released."), "routed"),
    "ask": (PRIVATE, "claimed"),
    "reply": (PRIVATE, "claimed"),
    "forward": (PRIVATE, "claimed"),
    "delegate": (PRIVATE, "claimed"),
    "outcome": (PRIVATE, "claimed"),
    "close": (zh.plain("Closed."), "closed"),
}


async def _new_item(stack, author_roster: str, state: str, claimer_roster: str) -> tuple[int, str]:
    """An item created and routed by the real lifecycle code, then put into ``state``."""
    app = stack.app
    async with app.db.transaction() as conn:
        now = app.clock.now()
        author = await people.by_roster_id(conn, author_roster)
        code = await item_store.next_code(conn, now.year)
        item_id = await item_store.create(
            conn, files=[], code=code, author_id=author.id, topic_code="smart_parking", area="city",
            observation="情况", suggestion="建议", privacy="named", status="submitted", level="city",
            created_at=now, updated_at=now)
        ctx = Ctx.offline(conn, now, app.dispatcher.config, REGISTRY)
        await route_item(ctx, item_id)
        if state != "routed":
            claimer = await people.by_roster_id(conn, claimer_roster)
            target = (await item_store.placements(conn, item_id))[0].target_id
            await conn.execute(update(items).where(items.c.id == item_id).values(
                status=state, claimed_by=claimer.id, claimed_target_id=target))
    app.sender.wake.set()
    return item_id, code


async def test_every_card_action_for_every_role(stack):
    pilot = await stack.pilot()
    roles = {"member": pilot.city, "liaison of another group": pilot.other_liaison,
             "liaison of this group": pilot.topic_liaison, "office admin": pilot.office}
    for role, user in roles.items():
        allowed = role in ("liaison of this group", "office admin")
        for action in ACTIONS:
            state = {"claim": "routed", "close": "adopted"}.get(action, "claimed")
            # C002 is the author: nobody pressing here handles their own report
            item_id, code = await _new_item(stack, "C002", state, "C003")
            card = await stack.world.card(pilot.topic_group, code)
            target_id = card.button_data and next(iter(card.button_data.values())).split(":")[2]
            query = await stack.sb.press(user, card, data=f"c:{item_id}:{target_id}:{action}", forge=True)
            answer = (await stack.sb.callback_answer(query))["text"]
            expected_answer, expected_status = ALLOWED[action] if allowed else (NOT_THEIRS, state)
            assert answer == expected_answer, (role, action, answer)
            item = await stack.row("items", id=item_id)
            assert item.status == expected_status, (role, action, item.status)
            conversation = await stack.row("conversations", user_id=user.id)
            if allowed and expected_answer == PRIVATE:
                assert (conversation.flow, conversation.data["item_id"]) == ("card", item_id), (role, action)
            else:
                assert conversation is None, (role, action)
            if allowed and action == "claim":
                assert item.claimed_by == (await stack.row("members", telegram_user_id=user.id)).id
            await stack.settle()
            async with stack.app.db.transaction() as conn:  # each press starts from no conversation
                await conn.execute(conversations.delete())


async def test_a_liaison_cannot_handle_their_own_report_and_others_wait_for_the_claimer(stack):
    pilot = await stack.pilot()
    own_id, own = await _new_item(stack, "C003", "routed", "C003")  # written by the topic liaison
    card = await stack.world.card(pilot.topic_group, own)
    query = await stack.sb.press(pilot.topic_liaison, card, data=next(iter(card.button_data.values())))
    assert (await stack.sb.callback_answer(query))["text"] == zh.plain("You cannot handle your own report.")
    assert (await stack.row("items", id=own_id)).status == "routed"

    # a second liaison of the same group cannot act on an item claimed by the first
    from handlers.office.liaisons import add_liaison
    async with stack.app.db.transaction() as conn:
        await add_liaison(conn, "C004", "topic:smart_parking", stack.app.clock.now())
    item_id, code = await _new_item(stack, "C002", "claimed", "C003")
    card = await stack.world.card(pilot.topic_group, code)
    target_id = next(iter(card.button_data.values())).split(":")[2]
    query = await stack.sb.press(pilot.other_liaison, card, data=f"c:{item_id}:{target_id}:reply", forge=True)
    assert (await stack.sb.callback_answer(query))["text"] == zh.plain("Another liaison is handling this report.")


async def test_a_card_button_pressed_in_another_group_is_refused(stack):
    pilot = await stack.pilot()
    item_id, code = await _new_item(stack, "C002", "routed", "C003")
    card = await stack.world.card(pilot.topic_group, code)
    data = next(iter(card.button_data.values()))
    port_message = (await stack.sb.messages(pilot.port.chat))[-1]
    query = await stack.sb.press(pilot.port_liaison, port_message, data=data, forge=True)
    answer = (await stack.sb.callback_answer(query))["text"]
    assert answer == zh.plain("This button is not valid here, or the report has moved on.")
    assert (await stack.row("items", id=item_id)).status == "routed"
