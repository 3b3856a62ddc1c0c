"""Vertical linkage (知悉): a district or street item is handled by the port and the sub-port and
shown to the city topic group of its topic on a watch card, which follows the item and offers one
action, 提级办理 (the city takes it up). Also cross-sector (界别) targets, end to end."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from handlers.core.i18n import translator
from handlers.office.rules import add_rule, list_rules, set_watch
from handlers.reports import exports, lifecycle
from handlers.core.localtime import local
from storage import digests as digest_store
from storage import items as item_store
from storage import reference
from storage import targets as target_store
from storage.schema import conversations, items
from bot.demo.scenario import DEFAULT_TITLE as TITLE

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py); the round trip below is on HTTP
zh = translator("zh")
TIMEOUT = 30
PRIVATE = zh.plain("Please continue in your private chat with me.")
STREET = "hongqiao_xiyuzhuang"


async def _street_item(stack, privacy: str = "named") -> str:
    pilot = await stack.pilot()
    return await stack.world.submit(pilot.hongqiao, topic="smart_parking", area="street", street=STREET,
                                    privacy=privacy, observation="西于庄街道夜间停车难。", suggestion="错时停车。")


async def _title(stack, name: str) -> str:
    return reference.name(await stack.row("targets", name=name), "zh")


async def _cards(stack, code: str) -> list[tuple[str, str, bool]]:
    """(target, role, active) of every card the item has had, in order."""
    async with stack.app.db.read() as conn:
        item = await item_store.by_code(conn, code)
        return [((await target_store.by_id(conn, p.target_id)).name, p.role, p.active)
                for p in await item_store.placements(conn, item.id, active_only=False, role=None)]


def _actions(card) -> list[str]:
    return [data.rsplit(":", 1)[1] for data in card.button_data.values()]


async def test_a_street_item_reaches_sub_port_and_port_and_the_city_topic_group_watches(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await _street_item(stack, privacy="anonymous")
    street, port, topic = [await _title(stack, n) for n in (f"street:{STREET}", "district:hongqiao",
                                                            "topic:smart_parking")]
    receipt = (await sb.messages(pilot.hongqiao))[-1].text
    routed, also = receipt.split(zh("Also shown for the city's information (知悉) to: {where}", where=topic))
    assert street in routed and port in routed and topic not in routed  # "routed to": where it is handled
    for group in (pilot.port, pilot.street):
        assert "claim" in _actions(await world.card(group, code))
    watch = await world.card(pilot.topic_group, code)
    assert zh("👁 For the city's information (知悉): handled by {where}.", where=f"{street}、{port}") in watch.text
    assert _actions(watch) == ["takeup"]  # one action, nothing to claim or reply
    assert "西于庄街道夜间停车难。" in watch.text
    assert "赵丽娟" not in watch.text and zh("anonymous member") in watch.text  # the card's privacy rules hold
    assert await _cards(stack, code) == [(f"street:{STREET}", "handle", True), ("district:hongqiao", "handle", True),
                                         ("topic:smart_parking", "watch", True)]
    async with stack.app.db.read() as conn:
        item = await item_store.by_code(conn, code)
        watching = await target_store.by_name(conn, "topic:smart_parking")
        handling = await target_store.by_name(conn, "district:hongqiao")
        # the liaisons' queues and the export count where it is handled, not where it is watched
        assert await digest_store.queue(conn, watching.id, item_store.WAITING) == []
        assert [r.code for r in await digest_store.queue(conn, handling.id, item_store.WAITING)] == [code]
        day = local(item.created_at).date()
        [row] = [r for r in await exports.report_rows(conn, day, day) if r[0] == code]
        assert port in "|".join(row) and topic not in "|".join(row)
        history = await lifecycle.history_lines(conn, item, "zh")
    assert any(zh("shown to {where} for information (知悉)", where=topic) in line for line in history)

    # the watch card follows the item, in place
    await world.card_action(pilot.port_liaison, pilot.port, code, "claim")
    followed = await world.card(pilot.topic_group, code, lambda m: "吴思远" in m.text)
    assert followed.id == watch.id and _actions(followed) == ["takeup"]
    assert len([m for m in await sb.messages(pilot.topic_group.chat) if code in (m.text or "")]) == 1


async def test_a_watch_card_offers_only_take_up_and_only_to_the_watching_groups_liaisons(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await _street_item(stack)
    watch = await world.card(pilot.topic_group, code)
    _, item_id, target_id, _ = next(iter(watch.button_data.values())).split(":")

    async def answer(user, card, data: str) -> str:
        return (await sb.callback_answer(await sb.press(user, card, data=data, forge=True)))["text"]

    for action in ("claim", "full", "reply", "escalate", "outcome"):  # forged handling presses on a watch card
        assert await answer(pilot.topic_liaison, watch, f"c:{item_id}:{target_id}:{action}") == \
            zh.plain("This report is here for information (知悉): the district handles it."), action
    assert await answer(pilot.other_liaison, watch, f"c:{item_id}:{target_id}:takeup") == \
        zh.plain("Only the liaisons of this group can act on its reports.")
    port_card = await world.card(pilot.port, code)
    port_id = next(iter(port_card.button_data.values())).split(":")[2]
    assert await answer(pilot.port_liaison, port_card, f"c:{item_id}:{port_id}:takeup") == \
        zh.plain("This button is not valid here, or the report has moved on.")  # the port handles it already
    await stack.settle()
    assert (await stack.row("items", code=code)).status == "routed"
    assert await stack.row("conversations", user_id=pilot.topic_liaison.id) is None

    async with stack.app.db.transaction() as conn:  # the district decided: nothing left to take up
        await conn.execute(update(items).where(items.c.code == code).values(status="adopted", outcome="adopted"))
    assert await answer(pilot.topic_liaison, watch, f"c:{item_id}:{target_id}:takeup") == \
        zh.plain("This report can no longer be taken up: it is decided or at the city already.")


async def test_the_city_takes_up_an_item_the_district_has_claimed(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await _street_item(stack)
    await world.card_action(pilot.port_liaison, pilot.port, code, "claim")
    watch = await world.card(pilot.topic_group, code, lambda m: "吴思远" in m.text)
    assert (await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "takeup"))["text"] == PRIVATE
    await sb.wait_for(pilot.topic_liaison, zh("Why should the city take {code} up (提级办理)? Type the reason; "
                                              "the member will see it.", code=code), TIMEOUT)
    await sb.send(pilot.topic_liaison, "多区同类问题，需市级统筹。")
    topic = await _title(stack, "topic:smart_parking")
    await sb.wait_for(pilot.hongqiao, zh("⬆ {code} was taken up by the city (提级办理): {where}. Reason: {reason}",
                                         code=f"{code}「{TITLE}」", where=topic, reason="多区同类问题，需市级统筹。"),
                      TIMEOUT)  # the member is told with the report's title
    await sb.wait_for(pilot.port_liaison, zh(  # the district liaison who was handling it hears of it
        "⬆ The city took {code} up (提级办理), which you were handling: it is now at {where}. Reason: {reason}",
        code=code, where=topic, reason="多区同类问题，需市级统筹。"), TIMEOUT)
    await stack.settle()
    item = await stack.row("items", code=code)
    assert (item.status, item.level, item.claimed_by, item.claimed_target_id) == ("escalated", "city", None, None)
    handling = await sb.message(pilot.topic_group.chat, watch.id)  # the same card, now a handling card
    assert _actions(handling) == ["claim"] and "吴思远" not in handling.text
    for group in (pilot.port, pilot.street):
        left = await world.card(group, code)
        assert left.button_data == {}
        assert zh("This report is no longer handled here. Now at: {where}", where=topic) in left.text
    assert await _cards(stack, code) == [(f"street:{STREET}", "handle", False), ("district:hongqiao", "handle", False),
                                         ("topic:smart_parking", "handle", True)]
    async with stack.app.db.read() as conn:
        history = await lifecycle.history_lines(conn, await item_store.by_code(conn, code), "zh")
    assert any(zh("taken up by {where} (提级办理)", where=topic) + " — 多区同类问题" in line for line in history)
    assert (await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim"))["text"] == \
        zh.plain("Claimed. The other cards show it is yours.")


async def test_the_city_group_that_delegates_keeps_its_card_for_information(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="红桥区某路口停车难。",
                              suggestion="交红桥区办理。")
    card = await world.card(pilot.topic_group, code)
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim")
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "delegate")
    choice = await sb.wait_for(pilot.topic_liaison, lambda m: bool(m.button_data), TIMEOUT)
    await sb.press(pilot.topic_liaison, choice, data=next(d for text, d in choice.button_data.items() if "红桥" in text))
    await sb.wait_for(pilot.topic_liaison, zh.plain("Why? Type the reason; the member will see it."), TIMEOUT)
    await sb.send(pilot.topic_liaison, "属红桥区事权。")
    port_card = await world.card(pilot.port, code)
    assert "claim" in _actions(port_card)
    port = await _title(stack, "district:hongqiao")
    watch = await world.card(pilot.topic_group, code, lambda m: _actions(m) == ["takeup"])
    assert watch.id == card.id  # the same card, now for information
    assert zh("👁 For the city's information (知悉): handled by {where}.", where=port) in watch.text
    assert await _cards(stack, code) == [("topic:smart_parking", "watch", True), ("district:hongqiao", "handle", True)]
    await world.card_action(pilot.port_liaison, pilot.port, code, "claim")  # it follows the item, in place
    await world.card(pilot.topic_group, code, lambda m: m.id == card.id and "吴思远" in m.text)


async def test_watching_turned_off_for_the_rules_sends_no_watch_card(stack):
    pilot = await stack.pilot()
    async with stack.app.db.transaction() as conn:
        for rule in await list_rules(conn):
            if rule.targets in (["district:hongqiao"], [f"street:{STREET}"]):
                await set_watch(conn, rule.id, False, stack.app.clock.now())
    code = await _street_item(stack)
    await stack.world.card(pilot.port, code)
    await stack.world.card(pilot.street, code)
    await stack.settle()
    assert not [m for m in await stack.sb.messages(pilot.topic_group.chat) if code in (m.text or "")]
    assert [role for _, role, _ in await _cards(stack, code)] == ["handle", "handle"]


async def test_a_lost_watch_card_only_ends_the_watch(stack):
    pilot = await stack.pilot()
    code = await _street_item(stack)
    await stack.world.card(pilot.topic_group, code)
    await stack.settle()
    told = len(await stack.sb.messages(pilot.hongqiao))
    async with stack.app.db.transaction() as conn:
        item = await item_store.by_code(conn, code)
        [watching] = await item_store.placements(conn, item.id, role=item_store.WATCH)
        await lifecycle.card_lost(conn, watching.card_key, stack.app.clock.now())  # as the sender does
    assert await stack.app.scheduler.fire_due() == 1
    await stack.settle()
    assert await _cards(stack, code) == [(f"street:{STREET}", "handle", True), ("district:hongqiao", "handle", True),
                                         ("topic:smart_parking", "watch", False)]
    assert len(await stack.sb.messages(pilot.hongqiao)) == told  # it was never handled there: nothing to say


async def test_a_rule_sends_a_sectors_reports_to_its_cross_sector_group(stack):
    pilot = await stack.pilot()
    world = stack.world
    sector = await world.bound_group("sector:economics", "sector", "市政协·经济界界别群", pilot.office,
                                     [pilot.topic_liaison], sector="economics")
    async with stack.app.db.transaction() as conn:
        await add_rule(conn, ["sector:economics"], stack.app.clock.now(), sector="economics", stop=False,
                       position=5)
    await world.liaison_of("C003", "sector:economics")
    code = await world.submit(pilot.city, topic="smart_parking", area="city",  # 王晓明 is of 经济界
                              observation="停车难。", suggestion="共享停车。")
    assert "claim" in _actions(await world.card(sector, code))
    assert "claim" in _actions(await world.card(pilot.topic_group, code))
    receipt = (await stack.sb.messages(pilot.city))[-1].text
    assert await _title(stack, "sector:economics") in receipt
    assert (await world.card_action(pilot.topic_liaison, sector, code, "claim"))["text"] == \
        zh.plain("Claimed. The other cards show it is yours.")


@pytest.mark.tier("http")
async def test_take_up_from_the_watch_card_round_trip(stack):
    """Both frameworks: the watch card arrives, a liaison of the topic group presses 提级办理 and
    gives a reason, the member reads it, the card becomes a handling card, the district's cards
    say where it went."""
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await _street_item(stack)
    watch = await world.card(pilot.topic_group, code)
    assert _actions(watch) == ["takeup"]
    assert (await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "takeup"))["text"] == PRIVATE
    await sb.wait_for(pilot.topic_liaison, code, TIMEOUT)
    await sb.send(pilot.topic_liaison, "涉及全市停车政策。")
    told = await sb.wait_for(pilot.hongqiao, "涉及全市停车政策。", TIMEOUT)
    topic = await _title(stack, "topic:smart_parking")
    assert topic in told.text and "提级办理" in told.text
    handling = await world.card(pilot.topic_group, code, lambda m: "claim" in _actions(m))
    assert handling.id == watch.id
    for group in (pilot.port, pilot.street):
        left = await world.card(group, code, lambda m: not m.button_data)
        assert topic in left.text
    assert (await stack.row("items", code=code)).status == "escalated"
    async with stack.app.db.transaction() as conn:  # no conversation is left behind
        assert (await conn.execute(conversations.select())).first() is None
