"""The demo scenario, step by step, asserting what each party sees (aiogram, real HTTP)."""

from __future__ import annotations

import re

import pytest

from handlers.core.i18n import translator
from storage import people

zh = translator("zh")
TIMEOUT = 30


def plain(text: str) -> str:
    """What Telegram shows for one of our HTML texts."""
    return re.sub(r"<[^>]+>", "", text)


async def test_members_join_and_a_stranger_is_refused(stack):
    sb, world = stack.sb, stack.world
    member = await world.join("C002", "李静怡")
    welcome = (await sb.messages(member))[-1]
    assert "李静怡" in welcome.text and "/submit" in welcome.text
    assert (await stack.row("members", roster_id="C002")).telegram_user_id == member.id

    stranger = await sb.user("路人甲", language_code="zh-hans")
    await sb.send(stranger, "/start")
    refusal = await sb.wait_for(stranger, None, TIMEOUT)
    assert "022-0000-0000" in refusal.text  # the office's contact, and nothing else
    await sb.send(stranger, "/submit")
    await stack.settle()
    assert [m.text for m in await sb.messages(stranger) if m.from_bot] == [refusal.text]  # once an hour
    assert await stack.count("conversations") == 0


async def test_command_menus_are_registered_in_both_languages(stack):
    commands = await stack.sb.commands()
    scopes = {(c["scope"]["type"], c["language_code"] or "zh") for c in commands}
    assert {("all_private_chats", "zh"), ("all_private_chats", "en"), ("all_group_chats", "zh"),
            ("all_group_chats", "en")} <= scopes
    private_zh = next(c for c in commands if c["scope"]["type"] == "all_private_chats" and not c["language_code"])
    assert [c["command"] for c in private_zh["commands"]] == ["submit", "my", "sessions", "checkin", "deliberations",
                                                              "consultations", "research", "oversight", "settings",
                                                              "points", "record", "mydata", "guide", "contacts",
                                                              "calendar", "phone", "channels", "cancel", "language",
                                                              "help"]
    assert private_zh["commands"][0]["description"] == zh.plain("Write a social-opinion report")
    groups_zh = next(c for c in commands if c["scope"]["type"] == "all_group_chats" and not c["language_code"])
    assert [c["command"] for c in groups_zh["commands"]] == ["bind", "help"]


@pytest.mark.tier("fast")
async def test_a_role_adds_its_commands_to_that_members_own_menu_only(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await stack.settle()

    def own(member):
        return next((c for c in commands if c["scope"] == {"type": "chat", "chat_id": member.id}), None)
    commands = await sb.commands()
    liaison, office = own(pilot.topic_liaison), own(pilot.office)
    assert liaison is not None and office is not None and own(pilot.city) is None  # a plain member: the general menu
    names = [c["command"] for c in liaison["commands"]]
    assert names[:3] == ["submit", "my", "find"] and "notice" not in names and names[-1] == "help"
    assert {"find", "notice", "notices", "study", "stats", "holidays"} <= {c["command"] for c in office["commands"]}
    assert liaison["commands"][2]["description"] == zh.plain("Look reports up by code, title or text")

    await sb.send(pilot.topic_liaison, "/language")  # the own menu follows the member's language
    choice = await sb.wait_for(pilot.topic_liaison, lambda m: bool(m.button_data), TIMEOUT)
    await sb.press(pilot.topic_liaison, choice, data=choice.button_data["English"])
    await sb.wait_for(pilot.topic_liaison, "Language set to English.", TIMEOUT)
    await stack.settle()
    commands = await sb.commands()
    assert own(pilot.topic_liaison)["commands"][2]["description"] == "Look reports up by code, title or text"

    # a role given while the bot was down: the member's own menu is there once it starts again
    await stack.app.stop()
    async with stack.app.db.transaction() as conn:
        await people.change(conn, (await people.by_telegram(conn, pilot.city.id)).id, role="liaison")
    await stack.app.db.close()
    stack.app = stack.new_app(clock=stack.app.clock)
    await stack.app.start()
    await stack.settle()
    commands = await sb.commands()
    assert "find" in [c["command"] for c in own(pilot.city)["commands"]]


async def test_city_report_with_photo_reaches_the_topic_group(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.city, topic="smart_parking", area="city", photo=True,
                              observation="老旧小区夜间停车难。", suggestion="推行错时共享停车。")
    assert re.fullmatch(r"SQ-\d{4}-\d{5}", code)
    receipt = (await sb.messages(pilot.city))[-1]
    assert code in receipt.text and "智慧停车" in receipt.text

    card = await world.card(pilot.topic_group, code)
    assert "王晓明" in card.text  # named: the liaisons see the name
    assert "老旧小区夜间停车难。" in card.text
    assert any(d.endswith(":claim") for d in card.button_data.values())
    await stack.settle()
    photo = [m for m in await sb.messages(pilot.topic_group.chat) if m.from_bot and m.kind == "photo"]
    assert len(photo) == 1 and photo[0].reply_to == card.id
    # nowhere else: the district groups did not get a city-wide report
    assert not [m for m in await sb.messages(pilot.port.chat) if code in (m.text or "")]
    item = await stack.row("items", code=code)
    assert item.status == "routed" and item.area == "city"


async def test_anonymous_street_report_reaches_port_and_sub_port_without_the_name(stack):
    pilot = await stack.pilot()
    world = stack.world
    code = await world.submit(pilot.hongqiao, topic="smart_parking", area="street", street="hongqiao_xiyuzhuang",
                              privacy="anonymous", observation="西于庄街道夜间停车难。", suggestion="错时停车。")
    for group in (pilot.port, pilot.street, pilot.topic_group):  # the city topic group's card is a watch card
        card = await world.card(group, code)
        assert "赵丽娟" not in card.text
        assert zh("anonymous member") in card.text
    await stack.settle()
    log = open(stack.app.settings.log_file, encoding="utf-8").read()
    assert "update handled" in log  # the log is really written...
    assert "赵丽娟" not in log and "西于庄街道夜间停车难" not in log  # ...without names or bodies


async def test_liaison_claims_asks_replies_and_records_adopted_while_the_member_watches(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.city, topic="smart_parking", area="city", title="夜间停车难",
                              observation="夜间停车难。", suggestion="共享停车。")
    member, liaison, group = pilot.city, pilot.topic_liaison, pilot.topic_group

    answer = await world.card_action(liaison, group, code, "claim")
    assert answer["text"] == zh.plain("Claimed. The other cards show it is yours.")
    await sb.wait_for(member, f"{code}「夜间停车难」 现由", TIMEOUT)  # the member's notices name the title
    card = await world.card(group, code, lambda m: "张伟东" in m.text)
    assert not any(d.endswith(":claim") for d in card.button_data.values())

    await world.card_action(liaison, group, code, "ask")
    await sb.wait_for(liaison, code, TIMEOUT)
    await sb.send(liaison, "涉及哪几个小区？")
    question = await sb.wait_for(member, "涉及哪几个小区？", TIMEOUT)
    assert "张伟东" not in question.text  # the liaison's identity stays hidden
    assert (await stack.row("items", code=code)).status == "needs_info"
    await sb.press(member, question, data=next(iter(question.button_data.values())))
    await sb.wait_for(member, code, TIMEOUT)
    await sb.send(member, "丁字沽一带三个小区。")
    relayed = await sb.wait_for(group.chat, "丁字沽一带三个小区。", TIMEOUT)
    assert relayed.reply_to == card.id
    await sb.wait_for(liaison, "丁字沽一带三个小区。", TIMEOUT)

    await world.card_action(liaison, group, code, "reply")
    await sb.wait_for(liaison, code, TIMEOUT)
    await sb.send(liaison, "已转相关部门研究。")
    await sb.wait_for(member, "已转相关部门研究。", TIMEOUT)

    await world.card_action(liaison, group, code, "outcome")
    choice = await sb.wait_for(liaison, lambda m: any(d.endswith(":adopted") for d in m.button_data.values()),
                               TIMEOUT)
    await sb.press(liaison, choice, data=next(d for d in choice.button_data.values() if d.endswith(":adopted")))
    await sb.wait_for(liaison, zh.plain("Type a short note for the member about this outcome."), TIMEOUT)
    await sb.send(liaison, "已被采用。")
    outcome = await sb.wait_for(member, code, TIMEOUT)
    assert "采用" in outcome.text and "已被采用。" in outcome.text
    assert (await stack.row("items", code=code)).status == "adopted"

    answer = await world.card_action(liaison, group, code, "close")
    assert answer["text"] == zh.plain("Closed.")
    await sb.wait_for(member, code, TIMEOUT)
    await stack.settle()
    final = await world.card(group, code)
    assert final.button_data == {}  # nothing left to press on a closed report

    await sb.send(member, "/my")
    history = await sb.wait_for(member, code, TIMEOUT)
    for step in ("claimed", "more information requested", "you added information",
                 "reply received", "outcome recorded", "closed"):
        assert zh(step) in history.text, step


async def test_district_item_escalated_to_the_city_and_the_member_sees_the_reason(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.hongqiao, topic="smart_parking", area="street", street="hongqiao_xiyuzhuang",
                              observation="停车难。", suggestion="错时停车。")
    await world.card_action(pilot.port_liaison, pilot.port, code, "claim")
    await world.card_action(pilot.port_liaison, pilot.port, code, "escalate")
    await sb.wait_for(pilot.port_liaison, code, TIMEOUT)
    await sb.send(pilot.port_liaison, "涉及全市政策。")
    hop = await sb.wait_for(pilot.hongqiao, "涉及全市政策。", TIMEOUT)
    assert "智慧停车" in hop.text
    city_card = await world.card(pilot.topic_group, code, lambda m: any(d.endswith(":claim")
                                                                        for d in m.button_data.values()))
    await stack.settle()
    # the topic group watched it (知悉): that card became the handling card, no second one
    assert [m.id for m in await sb.messages(pilot.topic_group.chat) if code in (m.text or "")] == [city_card.id]
    for old in (pilot.port, pilot.street):
        card = await world.card(old, code)
        assert card.button_data == {}  # no longer handled there
    item = await stack.row("items", code=code)
    assert (item.status, item.level, item.claimed_by) == ("escalated", "city", None)


async def test_forward_to_another_group_of_the_same_level(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="养老呼叫器转接慢。",
                              suggestion="直接接到社区。")
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim")
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "forward")
    choice = await sb.wait_for(pilot.topic_liaison, lambda m: bool(m.button_data), TIMEOUT)
    elderly = next(d for text, d in choice.button_data.items() if "养老" in text)
    assert "红桥" not in " ".join(choice.button_data)  # district groups are not the same level
    await sb.press(pilot.topic_liaison, choice, data=elderly)
    await sb.wait_for(pilot.topic_liaison, zh.plain("Why? Type the reason; the member will see it."), TIMEOUT)
    await sb.send(pilot.topic_liaison, "属于智慧养老主题。")
    await sb.wait_for(pilot.city, "属于智慧养老主题。", TIMEOUT)
    await world.card(pilot.elderly_group, code)


async def test_member_edits_until_claimed_and_may_withdraw(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="原来的情况。",
                              suggestion="原来的建议。")
    await sb.send(pilot.city, "/my")
    listing = await sb.wait_for(pilot.city, lambda m: code in (m.text or "") and bool(m.button_data), TIMEOUT)
    edit = next(d for d in listing.button_data.values() if d.startswith("m:edit:"))
    await sb.press(pilot.city, listing, data=edit)
    fields = await sb.wait_for(pilot.city, lambda m: any(":observation" in d for d in m.button_data.values()),
                               TIMEOUT)
    await sb.press(pilot.city, fields, data=next(d for d in fields.button_data.values() if d.endswith(":observation")))
    await sb.wait_for(pilot.city, code, TIMEOUT)
    await sb.send(pilot.city, "修改后的情况。")
    await world.card(pilot.topic_group, code, lambda m: "修改后的情况。" in m.text)

    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim")
    await stack.settle()
    query = await sb.press(pilot.city, listing, data=edit)
    answer = await sb.callback_answer(query)
    assert answer["text"] == zh.plain("A liaison is already handling this report, so it can no longer be edited.")

    withdraw = next(d for d in listing.button_data.values() if d.startswith("m:withdraw:"))
    await sb.press(pilot.city, listing, data=withdraw)
    await sb.wait_for(pilot.city, code, TIMEOUT)
    await stack.settle()
    assert (await stack.row("items", code=code)).status == "withdrawn"
    card = await world.card(pilot.topic_group, code)
    assert card.button_data == {}


async def test_draft_survives_a_restart(stack, tmp_path):
    pilot = await stack.pilot()
    sb = stack.sb
    await stack.world.start_city_report(pilot.city)
    await stack.app.stop()  # a restart: a new process would find the same database

    from bot.app import LinkageApp
    from tests.conftest import make_settings
    stack.app = LinkageApp(make_settings(tmp_path, stack.server.base_url))
    await stack.app.start()
    await sb.send(pilot.city, "重启之后继续填写的情况。")
    await sb.wait_for(pilot.city, "第5步", TIMEOUT)
    conv = await stack.row("conversations", user_id=pilot.city.id)
    assert conv.data["topic"] == "smart_parking" and conv.data["observation"] == "重启之后继续填写的情况。"


async def test_a_forum_topic_of_a_supergroup_is_a_target(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    forum = await world.bound_group("topic:education", "topic", "市政协·议政论坛", pilot.office,
                                    [pilot.other_liaison], forum_topic="教育", topic="education")
    assert forum.thread is not None
    target = await stack.row("targets", name="topic:education")
    assert (target.chat_id, target.thread_id) == (forum.chat.id, forum.thread)
    code = await world.submit(pilot.city, topic="education", area="city", observation="课后服务不足。",
                              suggestion="增加课后托管。")
    card = await world.card(forum, code)
    assert card.thread_id == forum.thread
    general = [m for m in await sb.messages(forum.chat) if code in (m.text or "") and m.thread_id != forum.thread]
    assert general == []


async def test_drains_at_the_same_time_handle_each_update_once(stack):
    """The dispatcher's loop, `settle` and the demo may all drain the inbox at once: each update is
    claimed inside the transaction that handles it, so none is handled twice."""
    import asyncio

    from storage import inbox

    member = await stack.world.join("C001", "王晓明")
    await stack.settle()
    outbox_before, handled_before = await stack.count("outbox"), stack.app.dispatcher.handled
    updates = [{"update_id": 900_000_000 + n, "message": {
        "message_id": 900_000 + n, "date": 1, "text": "/help", "chat": {"id": member.id, "type": "private"},
        "from": {"id": member.id, "is_bot": False, "first_name": "王晓明", "language_code": "zh-hans"},
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}} for n in range(20)]
    assert await inbox.store(stack.app.db, updates, stack.app.clock.now()) == 20
    await asyncio.gather(*(stack.app.dispatcher.drain() for _ in range(3)))
    await stack.settle()
    assert stack.app.dispatcher.handled - handled_before == 20
    assert await stack.count("outbox") - outbox_before == 20  # one help text each
    assert await stack.count("inbox", status="new") == 0
