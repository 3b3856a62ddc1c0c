"""The member's own edits until a liaison claims: the topic and the place (asked with the submit
flow's own steps; the report is re-routed and the member told where it went), the attachments,
and voice messages where a text is asked (the report's texts, an edit, an answer to a liaison)."""

from __future__ import annotations

from handlers.core.i18n import translator
from handlers.core.flows import VOICE_TEXT

STACK_TIER = "fast"
zh = translator("zh")
TIMEOUT = 30
CLAIMED = "A liaison is already handling this report, so it can no longer be edited."


async def _edit(stack, user, code: str, part: str):
    """/my → ✏ Edit → the part; returns the /my listing (its buttons stay pressable)."""
    sb = stack.sb
    await sb.send(user, "/my")
    listing = await sb.wait_for(user, lambda m: code in (m.text or "") and bool(m.button_data), TIMEOUT)
    await sb.press(user, listing, data=next(d for d in listing.button_data.values() if d.startswith("m:edit:")))
    menu = await sb.wait_for(user, lambda m: any(d.endswith(":topic") for d in m.button_data.values()), TIMEOUT)
    wanted = next(d for d in menu.button_data.values() if d.endswith(f":{part}") or
                  part == "files" and d.startswith("m:files:"))
    await sb.press(user, menu, data=wanted)
    return menu, wanted


async def _target_title(stack, name: str) -> str:
    return (await stack.row("targets", name=name)).title_zh


async def test_changing_the_topic_re_routes_the_report_and_tells_the_member(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="养老院门口停车难。",
                              suggestion="增设车位。", tags=("digital_divide",))
    await world.card(pilot.topic_group, code)
    await _edit(stack, pilot.city, code, "topic")
    # the submit flow's own screens: field, topic, tags (the report's own are ticked already)
    await world.choose_topic(pilot.city, "smart_elderly_care", ("elderly_friendly",), prefix="e")
    elderly = await _target_title(stack, "topic:smart_elderly_care")
    await sb.wait_for(pilot.city, zh("{code} was changed. It is now with: {where}", code=code, where=elderly), TIMEOUT)
    await world.card(pilot.elderly_group, code, lambda m: any(d.endswith(":claim") for d in m.button_data.values()))
    old = await world.card(pilot.topic_group, code, lambda m: not m.button_data)
    assert zh("This report is no longer handled here. Now at: {where}", where=elderly) in old.text
    item = await stack.row("items", code=code)
    assert (item.topic_code, item.status) == ("smart_elderly_care", "routed")
    assert await stack.count("item_events", item_id=item.id, kind="rerouted") == 1
    assert [await stack.count("item_tags", item_id=item.id, tag_code=tag) for tag in
            ("digital_divide", "elderly_friendly")] == [1, 1]
    assert await stack.count("conversations") == 0


async def test_changing_the_place_re_routes_to_the_street(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.hongqiao, topic="education", area="district", observation="学校门口拥堵。",
                              suggestion="错峰放学。")
    await world.card(pilot.port, code)
    await _edit(stack, pilot.hongqiao, code, "place")
    await world.step(pilot.hongqiao, "e:area", "street")  # her own district is not asked
    await world.step(pilot.hongqiao, "e:street", "hongqiao_xiyuzhuang")
    told = await sb.wait_for(pilot.hongqiao, lambda m: (m.text or "").startswith(
        zh("{code} was changed. It is now with: {where}", code=code, where="")), TIMEOUT)
    assert await _target_title(stack, "street:hongqiao_xiyuzhuang") in told.text
    await world.card(pilot.street, code)
    item = await stack.row("items", code=code)
    assert (item.area, item.district_code, item.street_code) == ("street", "hongqiao", "hongqiao_xiyuzhuang")


async def test_adding_and_removing_an_attachment(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="路边乱停车。",
                              suggestion="加强管理。")
    card = await world.card(pilot.topic_group, code)
    await _edit(stack, pilot.city, code, "files")
    listing = await sb.wait_for(pilot.city, lambda m: any(d.endswith(":add") for d in m.button_data.values()), TIMEOUT)
    await sb.press(pilot.city, listing, data=next(d for d in listing.button_data.values() if d.endswith(":add")))
    await sb.wait_for(pilot.city, code, TIMEOUT)
    await sb.send_photo(pilot.city)
    await sb.wait_for(pilot.city, zh("The attachment was added to {code}; the liaisons have it.", code=code), TIMEOUT)
    await stack.settle()
    photos = [m for m in await sb.messages(pilot.topic_group.chat) if m.kind == "photo" and m.reply_to == card.id]
    assert len(photos) == 1
    await world.card(pilot.topic_group, code, lambda m: zh("Attachments: {count}", count=1) in m.text)

    await _edit(stack, pilot.city, code, "files")
    listing = await sb.wait_for(pilot.city, lambda m: any(d.startswith("m:unfile:") for d in m.button_data.values()),
                                TIMEOUT)
    assert zh("photo") in listing.text
    await sb.press(pilot.city, listing, data=next(d for d in listing.button_data.values() if d.startswith("m:unfile:")))
    await sb.wait_for(pilot.city, zh("The attachment was removed from {code}; the liaisons are told.", code=code),
                      TIMEOUT)
    await world.card(pilot.topic_group, code, lambda m: zh("Attachments: {count}", count=1) not in m.text)
    assert await stack.count("attachments") == 0
    again = await sb.callback_answer(await sb.press(pilot.city, listing, data=next(
        d for d in listing.button_data.values() if d.startswith("m:unfile:")), forge=True))
    assert again["show_alert"]


async def test_edits_are_refused_once_claimed_even_mid_way(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="充电桩被占。",
                              suggestion="分时管理。")
    menu, topic = await _edit(stack, pilot.city, code, "topic")
    await world.step(pilot.city, "e:domain", world.domain_of["smart_elderly_care"])
    prompt = await sb.wait_for(pilot.city, lambda m: "e:topic:smart_elderly_care" in m.button_data.values(), TIMEOUT)
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim")  # claimed in between
    await stack.settle()
    await sb.press(pilot.city, prompt, data="e:topic:smart_elderly_care")
    await world.step(pilot.city, "e:tags", "skip")
    await sb.wait_for(pilot.city, zh(CLAIMED), TIMEOUT)
    item = await stack.row("items", code=code)
    assert (item.topic_code, item.status) == ("smart_parking", "claimed")
    answer = await sb.callback_answer(await sb.press(pilot.city, menu, data=topic))
    assert answer["text"] == zh.plain(CLAIMED)


async def test_a_voice_message_as_the_observation_goes_with_the_card(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    user = pilot.city
    await world.start_city_report(user)
    await sb.send_voice(user, duration=12)
    await sb.wait_for(user, lambda m: "s:analysis:skip" in m.button_data.values(), TIMEOUT)
    await world.step(user, "s:analysis", "skip")
    await sb.wait_for(user, lambda m: (m.text or "").startswith("第6步"), TIMEOUT)  # the suggestion
    await sb.send(user, "请尽快处理。")
    await world.step(user, "s:files", "done")
    await world.step(user, "s:cosigners", "skip")
    await world.step(user, "s:privacy", "named")
    spoken = zh.plain(VOICE_TEXT, seconds=12)
    preview = await sb.wait_for(user, lambda m: "s:preview:submit" in m.button_data.values(), TIMEOUT)
    assert spoken in preview.text
    await sb.press(user, preview, data="s:preview:submit")
    receipt = await sb.wait_for(user, "SQ-", TIMEOUT)
    code = next(w for w in receipt.text.replace("。", " ").split() if w.startswith("SQ-"))
    card = await world.card(pilot.topic_group, code)
    assert spoken in card.text and zh("Attachments: {count}", count=1) in card.text
    await stack.settle()
    voices = [m for m in await sb.messages(pilot.topic_group.chat) if m.kind == "voice" and m.reply_to == card.id]
    assert len(voices) == 1
    file = await stack.row("attachments", kind="voice")
    assert file.field == "observation"

    # an edit by voice replaces the text and its voice
    await _edit(stack, user, code, "observation")
    await sb.wait_for(user, code, TIMEOUT)
    await sb.send_voice(user, duration=5)
    await sb.wait_for(user, zh("{code} was updated; the liaisons see the new text.", code=code), TIMEOUT)
    await world.card(pilot.topic_group, code, lambda m: zh.plain(VOICE_TEXT, seconds=5) in m.text)
    assert await stack.count("attachments", field="observation") == 1


async def test_a_voice_answer_is_relayed_to_the_liaison(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="停车收费不透明。",
                              suggestion="公示标准。")
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim")
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "ask")
    await sb.wait_for(pilot.topic_liaison, None, TIMEOUT)
    await sb.send(pilot.topic_liaison, "具体是哪个停车场？")
    question = await sb.wait_for(pilot.city, lambda m: any(d.startswith("m:answer:") for d in m.button_data.values()),
                                 TIMEOUT)
    await sb.press(pilot.city, question,
                   data=next(d for d in question.button_data.values() if d.startswith("m:answer:")))
    await sb.wait_for(pilot.city, code, TIMEOUT)
    await sb.send_voice(pilot.city, duration=8)
    await sb.wait_for(pilot.city, zh("Thank you. Your answer was passed on for {code}.", code=code), TIMEOUT)
    await stack.settle()
    card = await world.card(pilot.topic_group, code)
    in_group = [m for m in await sb.messages(pilot.topic_group.chat) if m.reply_to == card.id]
    assert any(m.kind == "voice" for m in in_group)
    assert any(zh.plain(VOICE_TEXT, seconds=8) in (m.text or "") for m in in_group)
    assert any(m.kind == "voice" for m in await sb.messages(pilot.topic_liaison))
    kept = await stack.row("attachments", kind="voice")  # and kept with the report
    assert kept is not None and kept.field == "info" and kept.item_id == (await stack.row("items", code=code)).id


async def test_edits_refused_once_claimed_on_postgres(pg_stack):
    await test_edits_are_refused_once_claimed_even_mid_way(pg_stack)
