"""Duplicates (issue 9, items 4 and 5) through the real bot: similar open reports offered at
submit and co-signed instead, a liaison's merge and the merged report's people following the
original, a code the group never had refused like one that does not exist, statistics counting
the original once, and the 多区同类问题 cluster card in the city topic group."""

from __future__ import annotations

from datetime import timedelta

from handlers.core.i18n import translator
from handlers.reports.lifecycle import titled
from storage import cosign as cosign_store
from storage import digests as digest_store
from storage import items as item_store
from storage import people

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30
PARKING = "老旧小区夜间停车难，车辆占用非机动车道。"
ALIKE = "小区夜间停车难，车辆停在非机动车道，影响骑车出行。"


async def insert(stack, roster_id: str, observation: str, *, topic="smart_parking", district="hongqiao",
                 status="routed", days_ago=0, title=None) -> str:
    """A report already on the platform (as if submitted earlier), written as the bot writes one."""
    async with stack.app.db.transaction() as conn:
        author = await people.find(conn, roster_id)
        now = stack.app.clock.now() - timedelta(days=days_ago)
        code = await item_store.next_code(conn, now.year)
        await item_store.create(conn, files=[], code=code, title=title, author_id=author.id, topic_code=topic,
                                area="district" if district else "city", district_code=district, street_code=None,
                                observation=observation, analysis=None, suggestion="建议。", privacy="named",
                                status=status, level="district" if district else "city", created_at=now,
                                updated_at=now)
    return code


def similar_prompt(m) -> bool:
    return "s:similar:mine" in m.button_data.values()


async def test_similar_open_reports_are_offered_and_co_signing_instead_discards_the_draft(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    member = pilot.hongqiao  # 赵丽娟, a Hongqiao member: her reports are about Hongqiao
    shown = [await insert(stack, "C001", PARKING if n % 2 else ALIKE, title="停车难" if n == 0 else None)
             for n in range(6)]
    not_shown = [await insert(stack, "C001", PARKING, district="hexi"),  # another district
                 await insert(stack, "C001", PARKING, topic="smart_elderly_care"),  # another topic
                 await insert(stack, "C001", PARKING, days_ago=91),  # too old
                 await insert(stack, "C001", PARKING, status="closed"),  # no longer open
                 await insert(stack, "C001", "公交站台缺少遮雨棚，雨天候车不便。")]  # another problem
    before = await stack.count("items")

    joined = await world.submit(member, topic="smart_parking", area="district", observation=PARKING,
                                suggestion="错时共享车位。", cosign_similar=shown[1])
    assert joined == shown[1] and await stack.count("items") == before  # no report of her own
    offer = next(m for m in reversed(await sb.messages(member)) if similar_prompt(m))
    listed = [code for code in shown + not_shown if code in offer.text]
    assert len(listed) == 5 and set(listed) <= set(shown)  # at most five, all of this district and topic
    assert "王晓明" not in offer.text  # never who wrote them
    assert zh("waiting to be claimed") in offer.text  # each with its state
    if shown[0] in listed:
        assert "停车难" in offer.text  # the title where there is one

    original = await stack.row("items", code=shown[1])
    signer = await stack.row("item_cosigners", item_id=original.id)
    assert signer.status == "signed" and signer.answered_at is not None
    assert await stack.row("conversations", user_id=member.id) is None  # the draft is gone
    confirmed = await sb.wait_for(member, shown[1], TIMEOUT)
    assert confirmed.text == zh("✍ You co-signed (联名) {code}; your draft was discarded. You will be told of its "
                                "progress.", code=shown[1])
    await sb.wait_for(pilot.city, zh("{name} co-signed {code}.", name="赵丽娟", code=shown[1]), TIMEOUT)


async def test_continuing_with_ones_own_report_submits_it_and_ones_own_are_not_offered_to_co_sign(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    member = pilot.hongqiao
    mine = await world.submit(member, topic="smart_parking", area="district", observation=PARKING,
                              suggestion="错时共享车位。")
    other = await insert(stack, "C001", ALIKE)
    full = await insert(stack, "C001", PARKING)  # already has as many co-signers as a report may
    async with stack.app.db.transaction() as conn:
        signers = [(await people.find(conn, r)).id for r in ("C002", "C003", "C004", "C005", "C006")]
        await cosign_store.invite(conn, (await item_store.by_code(conn, full)).id, signers, stack.app.clock.now())
    second = await world.submit(member, topic="smart_parking", area="district", observation=ALIKE,
                                suggestion="增设停车位。")
    assert second not in (mine, other, full)
    offer = next(m for m in reversed(await sb.messages(member)) if similar_prompt(m))
    assert mine in offer.text and full in offer.text and zh("(your own report)") in offer.text
    labels = " ".join(offer.button_data)
    assert other in labels and mine not in labels and full not in labels  # not one's own, not a full one
    forged = await sb.callback_answer(await sb.press(member, offer, data="s:similar:999", forge=True))
    assert forged["show_alert"]  # a step that is over, or an id never offered
    assert await stack.count("item_cosigners", member_id=(await stack.row("members", roster_id="H001")).id) == 0


async def merge_setup(stack):
    """Two Hongqiao reports on the same problem at the district port; the second one claimed."""
    pilot = await stack.pilot()
    world = stack.world
    signer = await world.join("C002", "李静怡")
    first = await world.submit(pilot.city, topic="smart_parking", area="district", district="hongqiao",
                               observation=PARKING, suggestion="错时共享车位。")
    second = await world.submit(pilot.hongqiao, topic="smart_parking", area="district", observation=ALIKE,
                                suggestion="增设停车位。", cosigners="C002")
    item = await stack.row("items", code=second)
    await stack.sb.press(signer, await stack.sb.wait_for(signer, second, TIMEOUT), data=f"cs:y:{item.id}")
    await stack.sb.wait_for(pilot.hongqiao, zh("{name} co-signed {code}.", name="李静怡", code=titled(item)), TIMEOUT)
    await world.card_action(pilot.port_liaison, pilot.port, second, "claim")
    return pilot, signer, first, second


async def test_a_merged_reports_people_follow_the_original_to_its_outcome(stack):
    pilot, signer, first, second = await merge_setup(stack)
    world, sb = stack.world, stack.sb
    liaison, member = pilot.port_liaison, pilot.hongqiao
    await world.card_action(liaison, pilot.port, second, "merge")
    offer = await sb.wait_for(liaison, lambda m: any(d.startswith("l:mg:") for d in m.button_data.values()), TIMEOUT)
    assert first in offer.text and "王晓明" not in offer.text
    await sb.press(liaison, offer, data=offer.button_data[f"🔗 {first}"])
    await sb.wait_for(liaison, zh("🔗 {code} was merged into {original}.", code=second, original=first), TIMEOUT)

    merged, original = await stack.row("items", code=second), await stack.row("items", code=first)
    assert (merged.status, merged.duplicate_of, merged.outcome) == ("closed", original.id, "duplicate")
    async with stack.app.db.read() as conn:
        assert "merged" in [e.kind for e in await item_store.events(conn, merged.id)]
        assert "merged_in" in [e.kind for e in await item_store.events(conn, original.id)]
    told = zh("🔗 {code} was merged into {original}, which is about the same problem. From now on you are told "
              "of its progress. Its state now: {status}", code=second, original=first,
              status=zh("waiting to be claimed"))
    for person in (member, signer):
        await sb.wait_for(person, told, TIMEOUT)
    await sb.wait_for(pilot.port.chat, lambda m: zh("merged into {code}", code=first) in (m.text or ""), TIMEOUT)
    await sb.wait_for(pilot.city, zh("🔗 {other}, a report on the same problem, was merged into {code}: its member "
                                     "and co-signers now follow yours.", other=second, code=titled(original)), TIMEOUT)

    await sb.send(member, "/my")
    mine = await sb.wait_for(member, second, TIMEOUT)
    assert zh("🔗 Merged into {code}, which is now: {status}", code=first,
              status=zh("waiting to be claimed")) in mine.text

    # the original's later outcome reaches the merged report's author and co-signer
    await world.card_action(liaison, pilot.port, first, "claim")
    await world.card_action(liaison, pilot.port, first, "outcome")
    choice = await sb.wait_for(liaison, lambda m: any(d.endswith(":adopted") for d in m.button_data.values()),
                               TIMEOUT)
    await sb.press(liaison, choice, data=next(d for d in choice.button_data.values() if d.endswith(":adopted")))
    await sb.wait_for(liaison, zh.plain("Type a short note for the member about this outcome."), TIMEOUT)
    await sb.send(liaison, "已转区停车办研究。")
    followed = zh("🔔 {code}, which you follow: {status}", code=first, status=zh("adopted (采用)")) + " — 已转区停车办研究。"
    for person in (member, signer):
        await sb.wait_for(person, followed, TIMEOUT)

    # statistics count the original once
    async with stack.app.db.read() as conn:
        now = stack.app.clock.now()
        numbers = await digest_store.numbers(conn, now - timedelta(days=1), now + timedelta(days=1))
    assert numbers["smart_parking"]["new"] == 1


async def test_a_code_the_group_never_had_is_refused_like_one_that_does_not_exist(stack):
    pilot, _, first, second = await merge_setup(stack)
    world, sb = stack.world, stack.sb
    liaison = pilot.port_liaison
    elsewhere = await world.submit(pilot.city, topic="smart_parking", area="city", observation=PARKING,
                                   suggestion="建议。")  # the topic group's, never the port's
    await world.card_action(liaison, pilot.port, second, "merge")
    offer = await sb.wait_for(liaison, lambda m: any(d.startswith("l:mg:") for d in m.button_data.values()), TIMEOUT)
    assert elsewhere not in offer.text
    answers = []
    for code in (elsewhere, "SQ-2026-99999", second, "不是编号"):
        await sb.send(liaison, code)
        answers.append((await sb.wait_for(liaison, None, TIMEOUT)).text)
    assert answers == [zh("No other report your group has had carries the code {code}. Type a code like "
                          "SQ-2026-00001.", code=code) for code in (elsewhere, "SQ-2026-99999", second, "不是编号")]
    unseen = (await stack.row("items", code=elsewhere)).id
    forged_data = offer.button_data[f"🔗 {first}"].rsplit(":", 1)[0] + f":{unseen}"  # the same press, another id
    forged = await sb.callback_answer(await sb.press(liaison, offer, data=forged_data, forge=True))
    assert forged["show_alert"] and forged["text"] == zh.plain("This choice is not valid.")
    assert (await stack.row("items", code=second)).duplicate_of is None
    await sb.send(liaison, first.lower())  # then the right one, as typed
    await sb.wait_for(liaison, zh("🔗 {code} was merged into {original}.", code=second, original=first), TIMEOUT)


async def test_similar_reports_from_three_districts_make_one_cluster_card_kept_up_to_date(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    group = pilot.topic_group  # 市政协·智慧停车主题组, the city topic group of smart_parking

    def cluster_card(*codes):
        return lambda m: (m.text or "").startswith("🧩") and all(c in m.text for c in codes)

    texts = [PARKING, ALIKE, "老旧小区夜间停车难，车辆只能停在非机动车道上。", "夜间老旧小区停车难，非机动车道被占用。"]
    codes = [await world.submit(pilot.city, topic="smart_parking", area="district", district=district,
                                observation=text, suggestion="错时共享车位。")
             for district, text in zip(("hongqiao", "hexi", "nankai"), texts)]
    card = await sb.wait_for(group.chat, cluster_card(*codes), TIMEOUT)
    for name in ("红桥区", "河西区", "南开区"):
        assert name in card.text
    assert "王晓明" not in card.text  # never who wrote them
    await world.submit(pilot.city, topic="smart_parking", area="district", district="hexi",
                       observation="公交站台缺少遮雨棚，雨天候车不便。", suggestion="建设雨棚。")  # not alike: not in
    assert await stack.count("report_clusters") == 1 and await stack.count("report_cluster_items") == 3

    fourth = await world.submit(pilot.city, topic="smart_parking", area="district", district="hebei",
                                observation=texts[3], suggestion="错时共享车位。")
    edited = await sb.wait_for(group.chat, cluster_card(*codes, fourth), TIMEOUT)
    assert edited.id == card.id and "河北区" in edited.text  # edited in place, not sent again

    await world.card_action(pilot.port_liaison, pilot.port, codes[0], "claim")
    moved = await sb.wait_for(group.chat, lambda m: m.id == card.id and zh("being handled") in m.text, TIMEOUT)
    assert codes[0] in moved.text
    await stack.settle()
    assert len([m for m in await sb.messages(group.chat) if (m.text or "").startswith("🧩")]) == 1


async def test_a_cluster_formed_before_its_topic_group_is_bound_is_shown_when_it_is(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    texts = ["老旧小区自来水水压不足，高层住户白天用水难。", "老旧小区高层自来水水压不足，住户用水难。",
             "高层住户自来水水压不足，老旧小区白天用水难。"]
    codes = [await world.submit(pilot.city, topic="smart_water", area="district", district=district,
                                observation=text, suggestion="加装二次供水设施。")
             for district, text in zip(("hongqiao", "hexi", "nankai"), texts)]
    await stack.settle()
    assert await stack.count("report_clusters", topic_code="smart_water", target_id=None) == 1  # nowhere to show
    water = await world.bound_group("topic:smart_water", "topic", "市政协·智慧水务主题议政群", pilot.office,
                                    topic="smart_water")
    card = await sb.wait_for(water.chat, lambda m: (m.text or "").startswith("🧩"), TIMEOUT)
    assert all(code in card.text for code in codes)
    assert await stack.count("report_clusters", topic_code="smart_water", target_id=None) == 0


async def test_merge_and_follow_on_postgres(pg_stack):
    """The same on PostgreSQL (the followers' and candidates' subqueries, the items' own foreign key)."""
    await test_a_merged_reports_people_follow_the_original_to_its_outcome(pg_stack)


async def test_cluster_card_on_postgres(pg_stack):
    await test_similar_reports_from_three_districts_make_one_cluster_card_kept_up_to_date(pg_stack)
