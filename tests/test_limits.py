"""Telegram's limits counted as Telegram counts them (UTF-16 units after entity parsing), through
the real submit flow over HTTP: what the member may type always makes a preview and a card that
Telegram takes."""

from __future__ import annotations

import html

from handlers.core.context import TEXT_LIMIT, clip, split_text, telegram_len, utf16_len
from handlers.core.i18n import translator
from handlers.reports.lifecycle import titled
from storage import reference

zh = translator("zh")
TIMEOUT = 30
EMOJI = "😀"  # one character, two UTF-16 units


def test_split_text_counts_utf16_units_after_entity_parsing_and_keeps_tags_balanced():
    text = "<b>标题</b>\n" + html.escape(EMOJI * 3000) + "\n<i>" + "&lt;" * 5000 + "</i>"
    parts = split_text(text)
    assert all(telegram_len(part) <= TEXT_LIMIT for part in parts)
    assert "".join(html.unescape(p.replace("<b>", "").replace("</b>", "").replace("<i>", "").replace("</i>", ""))
                   for p in parts).replace("\n", "") == "标题" + EMOJI * 3000 + "<" * 5000
    assert all(part.count("<i>") == part.count("</i>") for part in parts)
    assert telegram_len("&lt;b&gt;") == 3 and telegram_len("<b>x</b>") == 1 and utf16_len(EMOJI) == 2
    assert clip(EMOJI * 300, 200) == EMOJI * 99 + "…"


async def test_a_report_of_1400_emoji_per_field_makes_a_preview_and_a_card_telegram_accepts(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    words = {field: EMOJI * 1399 + mark for field, mark in (("observation", "A"), ("analysis", "B"),
                                                           ("suggestion", "C"))}
    code = await world.submit(pilot.city, topic="smart_parking", area="city", **words)
    receipt = (await sb.messages(pilot.city))[-1]
    assert code in receipt.text and zh.plain("Routed to: {where}", where="") in receipt.text
    card = await world.card(pilot.topic_group, code)
    assert "…" in card.text and any(d.endswith(":claim") for d in card.button_data.values())
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "full")
    await sb.wait_for(pilot.topic_liaison, lambda m: (m.text or "").rstrip().endswith(words["suggestion"][-40:]),
                      TIMEOUT)
    await stack.settle()
    full = "".join(m.text for m in await sb.messages(pilot.topic_liaison) if m.from_bot and m.text)
    assert all(text in full.replace("\n", "") for text in words.values())  # every word reached the liaison
    refused = [(c["method"], c["status"]) for c in stack.server.world.calls if c["status"] not in (200, None)]
    assert refused == []
    item = await stack.row("items", code=code)
    assert item.status == "routed"


async def test_a_card_telegram_refuses_for_good_goes_to_the_office_and_the_member_is_told(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    intake = await world.bound_group("office", "office", "委员学习和联络室", pilot.office)
    await sb.faults(kind="403", method="sendMessage", chat_id=pilot.topic_group.chat.id, count=1)
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="停车难。",
                              suggestion="共享。")
    await stack.settle()  # the card was refused for good...
    assert await stack.app.scheduler.fire_due() == 1  # ...which the bot sees to
    await stack.settle()
    await world.card(intake, code)
    told = (await sb.messages(pilot.city))[-1].text
    lost, office = [reference.name(await stack.row("targets", name=name), "zh") for name in ("topic:smart_parking",
                                                                                               "office")]
    assert told == zh("⚠ {code} could not be shown in {lost}; it went to {where} instead.",
                      code=titled(await stack.row("items", code=code)), lost=lost, where=office)
    assert not any("送达" in (m.text or "") for m in await sb.messages(pilot.city))  # never "delivered"
    placements = [(p.target_id, p.active) for p in await _placements(stack, code)]
    assert [active for _, active in placements] == [False, True]


async def _placements(stack, code: str) -> list:
    from sqlalchemy import select

    from storage.schema import item_targets
    item = await stack.row("items", code=code)
    async with stack.app.db.read() as conn:
        return list(await conn.execute(select(item_targets).where(item_targets.c.item_id == item.id)
                                       .order_by(item_targets.c.id)))
