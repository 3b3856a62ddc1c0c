"""The submit flow's topic menu (domain → topic, tags) and the title step, and where titles and
tags show and count (issue 9, items 2 and 3). Through the real bot, in-process."""

from __future__ import annotations

import re

from handlers.core.i18n import translator
from handlers.office.rules import add_rule, route_test
from handlers.reports.exports import report_rows
from handlers.core.localtime import local
from storage import conversations, reference
from storage.conversations import Conversation

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30


def _values(message, prefix: str) -> list[str]:
    return [data.split(":", 2)[2] for data in message.button_data.values() if data.startswith(prefix)]


async def test_every_screen_has_at_most_ten_buttons_other_and_a_way_back(stack):
    pilot = await stack.pilot()
    sb, world = stack.sb, stack.world
    async with stack.app.db.read() as conn:
        domains = [d.code for d in await reference.all_domains(conn)]
    await sb.send(pilot.city, "/submit")
    screen = await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:domain:")), TIMEOUT)
    assert _values(screen, "s:domain:") == domains and domains[-1] == "other" and len(domains) <= 10
    assert screen.text.startswith("第1步") and "社情民意信息" in screen.text
    for domain in domains[:-1]:
        await world.step(pilot.city, "s:domain", domain)
        topic_screen = await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:topic:")), TIMEOUT)
        values = _values(topic_screen, "s:topic:")
        assert len(topic_screen.button_data) <= 10 and values[-2:] == ["other", "back"], domain
        async with stack.app.db.read() as conn:
            assert values[:-2] == [t.code for t in await reference.topics_of(conn, domain)], domain
        await world.step(pilot.city, "s:topic", "back")  # back to the domains, nothing chosen
        await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:domain:")), TIMEOUT)
    conv = await stack.row("conversations", user_id=pilot.city.id)
    assert conv.step == "domain" and conv.data.get("topic") is None

    await world.step(pilot.city, "s:domain", "other")  # 其他 has no second screen: on to the tags
    tags = await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:tags:")), TIMEOUT)
    assert len(tags.button_data) <= 10 and _values(tags, "s:tags:")[-2:] == ["done", "skip"]
    assert (await stack.row("conversations", user_id=pilot.city.id)).data["topic"] == "other"


async def test_forged_domain_topic_and_tag_codes_are_refused(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await sb.send(pilot.city, "/submit")
    domains = await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:domain:")), TIMEOUT)
    for forged in ("s:domain:moon", "s:domain:smart_parking"):  # unknown; a topic's code is no domain
        before = await stack.row("conversations", user_id=pilot.city.id)
        answer = await sb.callback_answer(await sb.press(pilot.city, domains, data=forged, forge=True))
        assert answer["show_alert"] and answer["text"] == zh.plain("This choice is not valid."), forged
        after = await stack.row("conversations", user_id=pilot.city.id)
        assert (after.step, after.data) == (before.step, before.data) and after.step == "domain"
    await sb.press(pilot.city, domains, data="s:domain:transport")
    topics_screen = await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:topic:")), TIMEOUT)
    for forged in ("s:topic:moon", "s:topic:education"):  # unknown; a topic of another domain's screen
        answer = await sb.callback_answer(await sb.press(pilot.city, topics_screen, data=forged, forge=True))
        assert answer["show_alert"], forged
    assert (await stack.row("conversations", user_id=pilot.city.id)).step == "topic"
    await sb.press(pilot.city, topics_screen, data="s:topic:smart_parking")
    tags = await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:tags:")), TIMEOUT)
    answer = await sb.callback_answer(await sb.press(pilot.city, tags, data="s:tags:moon", forge=True))
    assert answer["show_alert"]
    conv = await stack.row("conversations", user_id=pilot.city.id)
    assert conv.step == "tags" and not conv.data.get("tags") and conv.data["topic"] == "smart_parking"


async def test_tags_toggle_in_place(stack):
    pilot = await stack.pilot()
    sb, world = stack.sb, stack.world
    await sb.send(pilot.city, "/submit")
    await world.step(pilot.city, "s:domain", "digital_tianjin")
    await world.step(pilot.city, "s:topic", "gov_services")
    prompt = await world.step(pilot.city, "s:tags", "elderly_friendly")
    ticked = await sb.wait_for(pilot.city, lambda m: m.id == prompt.id and "✓ 适老" in m.button_data, TIMEOUT)
    await world.step(pilot.city, "s:tags", "disability")
    await world.step(pilot.city, "s:tags", "elderly_friendly")  # pressed again: off
    await sb.wait_for(pilot.city, lambda m: m.id == ticked.id and "✓ 助残" in m.button_data
                      and "适老" in m.button_data, TIMEOUT)
    conv = await stack.row("conversations", user_id=pilot.city.id)
    assert conv.step == "tags" and conv.data["tags"] == ["disability"]
    await world.step(pilot.city, "s:tags", "done")
    await sb.wait_for(pilot.city, lambda m: "s:area:city" in m.button_data.values(), TIMEOUT)


async def test_a_title_over_thirty_characters_is_refused_politely(stack):
    pilot = await stack.pilot()
    sb, world = stack.sb, stack.world
    await sb.send(pilot.city, "/submit")
    await world.choose_topic(pilot.city, "smart_parking")
    await world.step(pilot.city, "s:area", "city")
    await sb.wait_for(pilot.city, "第3步", TIMEOUT)
    for too_long, length in (("停" * 31, 31), ("🚗" * 16, 32)):  # an emoji is two, as Telegram counts
        await sb.send(pilot.city, too_long)
        refusal = await sb.wait_for(pilot.city, None, TIMEOUT)
        assert refusal.text == zh("Sorry, the title can have at most {limit} characters; this one has {length}. "
                                  "Please shorten it and send it again.", limit=30, length=length)
        conv = await stack.row("conversations", user_id=pilot.city.id)
        assert conv.step == "title" and "title" not in conv.data
    await sb.send(pilot.city, "停" * 30)
    await sb.wait_for(pilot.city, "第4步", TIMEOUT)
    assert (await stack.row("conversations", user_id=pilot.city.id)).data["title"] == "停" * 30


async def test_title_and_tags_on_the_preview_card_my_and_export(stack):
    pilot = await stack.pilot()
    sb, world = stack.sb, stack.world
    code = await world.submit(pilot.city, topic="smart_parking", area="city", title="老旧小区夜间停车难",
                              tags=("elderly_friendly", "digital_divide"),
                              observation="老旧小区夜间停车难。", suggestion="错时共享停车。")
    item = await stack.row("items", code=code)
    assert item.title == "老旧小区夜间停车难"
    heading = re.sub("<[^>]+>", "", zh("<b>Please check your report</b>"))
    preview = next(m for m in await sb.messages(pilot.city) if (m.text or "").startswith(heading))
    assert zh("Title (标题): {title}", title="老旧小区夜间停车难") in preview.text
    assert zh("Tags: {tags}", tags="适老、数字鸿沟") in preview.text

    card = await world.card(pilot.topic_group, code)
    assert card.text.startswith(f"📋 {code}「老旧小区夜间停车难」 · 智慧停车")
    assert zh("Tags: {tags}", tags="适老、数字鸿沟") in card.text

    await sb.send(pilot.city, "/my")
    mine = await sb.wait_for(pilot.city, lambda m: (m.text or "").startswith(code), TIMEOUT)
    assert mine.text.startswith(f"{code}「老旧小区夜间停车难」 · ")

    async with stack.app.db.read() as conn:
        day = local(item.created_at).date()
        row = next(r for r in await report_rows(conn, day, day) if r[0] == code)
    assert row[1:5] == ["老旧小区夜间停车难", local(item.created_at).strftime("%Y-%m-%d %H:%M"), "智慧停车",
                        "适老、数字鸿沟"]


async def test_a_rule_on_a_tag_routes_the_reports_that_carry_it(stack):
    pilot = await stack.pilot()
    world = stack.world
    async with stack.app.db.transaction() as conn:  # 适老 reports also go to the 智慧养老 group
        await add_rule(conn, ["topic:smart_elderly_care"], stack.app.clock.now(), tag="适老", position=1, stop=False)
        trace = await route_test(conn, "smart_parking", tags=["elderly_friendly"])
        assert [t.name for t in trace.targets] == ["topic:smart_elderly_care", "topic:smart_parking"]
        assert [t.name for t in (await route_test(conn, "smart_parking")).targets] == ["topic:smart_parking"]
    tagged = await world.submit(pilot.city, topic="smart_parking", area="city", tags=("elderly_friendly",),
                                observation="老人不会用停车小程序。", suggestion="保留人工缴费。")
    plain = await world.submit(pilot.city, topic="smart_parking", area="city",
                               observation="停车难。", suggestion="共享停车。")
    await world.card(pilot.elderly_group, tagged)
    await world.card(pilot.topic_group, tagged)
    await world.card(pilot.topic_group, plain)
    await stack.settle()
    assert [m for m in await stack.sb.messages(pilot.elderly_group.chat) if plain in (m.text or "")] == []


async def test_the_member_may_change_the_title_until_claimed(stack):
    pilot = await stack.pilot()
    sb, world = stack.sb, stack.world
    code = await world.submit(pilot.city, topic="smart_parking", area="city", title="原来的标题",
                              observation="停车难。", suggestion="共享停车。")
    item = await stack.row("items", code=code)
    await sb.send(pilot.city, "/my")
    listing = await sb.wait_for(pilot.city, lambda m: f"m:edit:{item.id}" in m.button_data.values(), TIMEOUT)
    await sb.press(pilot.city, listing, data=f"m:edit:{item.id}")
    await world.step(pilot.city, "m:field", f"{item.id}:title")
    await sb.wait_for(pilot.city, code, TIMEOUT)
    await sb.send(pilot.city, "长" * 31)
    await sb.wait_for(pilot.city, zh("Sorry, the title can have at most {limit} characters; this one has {length}. "
                                     "Please shorten it and send it again.", limit=30, length=31), TIMEOUT)
    assert (await stack.row("items", code=code)).title == "原来的标题"
    await sb.send(pilot.city, "修改后的标题")
    await world.card(pilot.topic_group, code, lambda m: m.text.startswith(f"📋 {code}「修改后的标题」"))
    assert (await stack.row("items", code=code)).title == "修改后的标题"


async def test_a_draft_left_at_the_one_screen_topic_menu_starts_again_at_the_fields(stack):
    pilot = await stack.pilot()
    async with stack.app.db.transaction() as conn:
        await conversations.save(conn, Conversation(pilot.city.id, "submit", "topic", {}), stack.app.clock.now())
    await stack.sb.send(pilot.city, "/submit")
    await stack.sb.wait_for(pilot.city, lambda m: "s:domain:transport" in m.button_data.values(), TIMEOUT)
    assert (await stack.row("conversations", user_id=pilot.city.id)).step == "domain"


async def test_typed_words_find_the_topic(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await sb.send(pilot.city, "/submit")
    await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:domain:")), TIMEOUT)
    await sb.send(pilot.city, "小区夜间停车难")
    found = await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:found:")), TIMEOUT)
    assert "smart_parking" in _values(found, "s:found:")[:2] and _values(found, "s:found:")[-2:] == ["other", "back"]
    assert "小区夜间停车难" in found.text
    await sb.send(pilot.city, "养老")  # again, from the found screen
    elderly = await sb.wait_for(pilot.city, lambda m: "s:found:elderly_care" in m.button_data.values(), TIMEOUT)
    assert set(_values(elderly, "s:found:")[:2]) == {"elderly_care", "smart_elderly_care"}  # their own names first
    assert len(elderly.button_data) <= 10
    answer = await sb.callback_answer(await sb.press(pilot.city, elderly, data="s:found:smart_parking", forge=True))
    assert answer["show_alert"]  # no longer offered
    await sb.send(pilot.city, "zzz")
    await sb.wait_for(pilot.city, zh("No topic matches those words. Please choose a field above, or try other words."),
                      TIMEOUT)
    assert (await stack.row("conversations", user_id=pilot.city.id)).step == "found"
    await sb.press(pilot.city, elderly, data="s:found:smart_elderly_care")
    await sb.wait_for(pilot.city, lambda m: bool(_values(m, "s:tags:")), TIMEOUT)
    assert (await stack.row("conversations", user_id=pilot.city.id)).data["topic"] == "smart_elderly_care"
