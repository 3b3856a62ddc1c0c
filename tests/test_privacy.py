"""/mydata: a member downloads everything Linkage keeps about them (PRODUCT.md §12), end to end
through the real framework over HTTP, and sees nobody else in it."""

from __future__ import annotations

import json

from handlers.i18n import translator

zh = translator("zh")
TIMEOUT = 30


async def test_a_member_downloads_their_own_data_and_nobody_elses(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    member, liaison, group = pilot.city, pilot.topic_liaison, pilot.topic_group
    code = await world.submit(member, topic="smart_parking", area="city", observation="夜间停车难。",
                              suggestion="共享停车。", privacy="anonymous")
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
    assert report["privacy"] == zh.plain("Anonymous to all but administrators")
    steps = [hop["what"] for hop in report["history"]]
    assert steps[0] == zh.plain("submitted") and zh.plain("claimed") in steps
    assert {"what": zh.plain("reply received"), "message": "已转相关部门研究。"}.items() <= \
        next(hop for hop in report["history"] if "message" in hop).items()
    assert "news_frequency" in data and "study_sessions" in data and "notices" in data
    # nobody else: not the liaison who handled it, not another member's report
    for stranger in ("张伟东", "赵丽娟", other_code, "别人的报告"):
        assert stranger not in content
