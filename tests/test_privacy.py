"""/mydata: a member downloads everything Linkage keeps about them (PRODUCT.md §12), end to end
through the real bot, and sees nobody else in it."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from handlers.core.i18n import translator
from storage.schema import outbox

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30


async def test_a_member_downloads_their_own_data_and_nobody_elses(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    member, liaison, group = pilot.city, pilot.topic_liaison, pilot.topic_group
    code = await world.submit(member, topic="smart_parking", area="city", observation="夜间停车难。",
                              suggestion="共享停车。", privacy="anonymous", tags=("elderly_friendly",))
    other_code = await world.submit(pilot.hongqiao, topic="smart_parking", area="city",
                                    observation="别人的报告。", suggestion="别人的建议。")
    await world.card_action(liaison, group, code, "claim")
    await world.card_action(liaison, group, code, "reply")
    await sb.wait_for(liaison, code, TIMEOUT)
    await sb.send(liaison, "已转相关部门研究。")
    await sb.wait_for(member, "已转相关部门研究。", TIMEOUT)
    await sb.send(member, "/settings")
    await sb.wait_for(member, None, TIMEOUT)

    await sb.send(member, "/mydata")
    sent = await sb.wait_for(member, lambda m: m.kind == "document", TIMEOUT)
    assert sent.raw["document"]["file_name"].startswith("linkage-C001-")
    assert sent.raw["caption"] == zh.plain(
        "Everything Linkage keeps about you: your record, your {count} report(s) with every step, your study "
        "sessions, notices and settings.", count=1)
    content = (await sb.download(sent.raw["document"]["file_id"])).decode("utf-8")
    data = json.loads(content)

    assert data["member"]["roster_id"] == "C001" and data["member"]["name"] == "王晓明"
    [report] = data["reports"]
    assert report["code"] == code and report["observation"] == "夜间停车难。"
    assert (report["title"], report["tags"]) == ("一条社情民意信息", ["适老"])
    assert report["privacy"] == zh.plain("Anonymous to all but administrators")
    steps = [hop["what"] for hop in report["history"]]
    assert steps[0] == zh.plain("submitted") and zh.plain("claimed") in steps
    assert {"what": zh.plain("reply received"), "message": "已转相关部门研究。"}.items() <= \
        next(hop for hop in report["history"] if "message" in hop).items()
    assert "news_frequency" in data and "study_sessions" in data and "notices" in data
    # nobody else: not the liaison who handled it, not another member's report
    for stranger in ("张伟东", "赵丽娟", other_code, "别人的报告"):
        assert stranger not in content


async def test_retention_deletes_old_raw_updates_then_empties_old_messages_and_cards_still_work(stack):
    pilot = await stack.pilot()
    world, clock = stack.world, stack.app.clock
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="夜间停车难。",
                              suggestion="共享停车。")
    await stack.settle()
    handled = await stack.count("inbox", status="done")
    assert handled > 0

    clock.advance(timedelta(days=31))  # raw updates are kept 30 days
    await stack.app.scheduler.fire_due()
    await stack.settle()
    assert await stack.count("inbox") == 0
    async with stack.app.db.read() as conn:
        texts = [json.dumps(r.params, ensure_ascii=False) for r in await conn.execute(select(outbox))]
    assert any("夜间停车难" in text for text in texts)  # messages are kept longer

    clock.advance(timedelta(days=150))  # finished messages are emptied after 180 days
    await stack.app.scheduler.fire_due()
    await stack.settle()
    async with stack.app.db.read() as conn:
        rows = list(await conn.execute(select(outbox)))
    assert rows and not any("夜间停车难" in json.dumps(r.params, ensure_ascii=False) for r in rows)
    assert all(r.message_id is not None for r in rows if r.key and r.key.startswith("card:"))

    # the card, sent half a year ago, is still edited in place when a liaison claims the report
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim")
    card = await world.card(pilot.topic_group, code, lambda m: "张伟东" in m.text and m.edits > 0)
    assert "夜间停车难" in card.text
    assert await stack.count("timers", kind="retention", status="done") == 2


async def test_retention_on_postgres(pg_stack):
    """The same on PostgreSQL (its JSON operators differ from SQLite's)."""
    await test_retention_deletes_old_raw_updates_then_empties_old_messages_and_cards_still_work(pg_stack)


async def test_an_author_named_to_the_office_only_shows_as_a_stable_alias_not_linked_to_the_roster(stack):
    pilot = await stack.pilot()
    world = stack.world
    codes = [await world.submit(member, topic="smart_parking", area="city", observation=f"第{n}条观察。",
                                suggestion="建议。", privacy="office")
             for n, member in enumerate((pilot.city, pilot.city, pilot.hongqiao))]
    cards = [await world.card(pilot.topic_group, code) for code in codes]
    labels = [next(line for line in card.text.splitlines() if line.startswith(zh.plain("From: {who}", who="")))
              for card in cards]
    assert labels[0] == labels[1] != labels[2]  # the same member is recognisable, another is not the same
    for card, label, roster_id in zip(cards, labels, ("C001", "C001", "H001")):
        member = await stack.row("members", roster_id=roster_id)
        alias = re.fullmatch(re.escape(zh.plain("From: {who}", who=zh.plain("member {alias}", alias="@"))).replace(
            "@", "([A-Z2-9]{6})"), label).group(1)  # the line holds the alias and nothing else: no id, no number
        assert alias not in (str(member.id).zfill(6), roster_id) and member.name not in card.text
    await stack.settle()
    log = open(stack.app.settings.log_file, encoding="utf-8").read()
    alias = re.search(r"[A-Z2-9]{6}", labels[0]).group()
    assert alias not in log
    await stack.sb.send(pilot.city, "/mydata")  # the member can see what liaisons see of them
    sent = await stack.sb.wait_for(pilot.city, lambda m: m.kind == "document", TIMEOUT)
    data = json.loads(await stack.sb.download(sent.raw["document"]["file_id"]))
    assert data["member"]["alias"] == alias
