"""网络议政 end to end: a committee's staff opens a topic in chat (or the command line), the audience
gets its card and nobody else does, members give views on a question and reply in threads, page
through the thread, edit or withdraw within 15 minutes, are held to one a minute and refused after
closing; the committee hides (with a reason) and pins; the topic closes by its timer across a
restart with a summary and an XLSX, and the conclusion reaches the participants and the digest."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import main as cli_main
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import shown
from handlers.deliberation import topics, views
from handlers.privacy import mydata
from handlers.deliberation.summary import write_export
from handlers.deliberation.common import CLOSED, COMMITTEE_ONLY, NOT_INVITED
from handlers.deliberation.contribute import TIME_OVER
from handlers.features import REGISTRY
from storage import deliberation as store
from storage import people
from storage.schema import audit_log

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30
TOPIC = "老旧小区加装电梯如何破解协调难"
SENT = "✅ Sent as #{number}. You may change or withdraw it within 15 minutes."


async def office(stack, work):
    """The operator acting like the command line: one transaction of its own on the bot's database."""
    async with stack.app.db.transaction() as conn:
        result = await work(Ctx.offline(conn, stack.app.clock.now(), stack.app.scheduler.config, REGISTRY))
    stack.app.sender.wake.set()
    return result


async def open_topic(stack, *, audience_spec="district:hongqiao", hours=48, questions=("资金怎么分摊？", "谁来牵头协调？")):
    closes = stack.app.clock.now() + timedelta(hours=hours)
    return await office(stack, lambda ctx: topics.open_topic(
        ctx, title=TOPIC, committee="social_legal", audience_spec=audience_spec, closes=closes,
        body="红桥区不少老旧小区居民希望加装电梯，但低层住户意见不一。", questions=questions))


async def latest(stack, user, predicate):
    """The newest bot message in the user's chat that matches, sent before or after the cursor."""
    await stack.settle()
    found = [m for m in await stack.sb.messages(user) if m.from_bot and predicate(m)]
    return found[-1] if found else await stack.sb.wait_for(user, predicate, TIMEOUT)


async def card_of(stack, user, topic_id: int):
    return await latest(stack, user, lambda m: f"dl:view:{topic_id}" in m.button_data.values())


async def step(stack, user, data: str):
    prompt = await stack.sb.wait_for(user, lambda m: data in m.button_data.values(), TIMEOUT)
    await stack.sb.press(user, prompt, data=data)
    return prompt


async def contribute(stack, user, topic_id: int, text: str, *, question: int | None = 1, naming: str = "named",
                     reply_to: int | None = None, photo: bool = False):
    """A member gives a view from the topic's card (or replies to contribution id ``reply_to`` from the
    thread page); returns the bot's confirmation."""
    sb = stack.sb
    if reply_to is None:
        await sb.press(user, await card_of(stack, user, topic_id), data=f"dl:say:{topic_id}")
        if question is not None:
            await step(stack, user, f"dls:question:{question}")
    else:
        thread = await latest(stack, user, lambda m: f"dl:reply:{reply_to}" in m.button_data.values())
        await sb.press(user, thread, data=f"dl:reply:{reply_to}")
    await sb.wait_for(user, lambda m: "/cancel" in (m.text or ""), TIMEOUT)
    await sb.send(user, text)
    if photo:
        await sb.wait_for(user, lambda m: "dls:file:skip" in m.button_data.values(), TIMEOUT)
        await sb.send_photo(user)
    else:
        await step(stack, user, "dls:file:skip")
    await step(stack, user, f"dls:naming:{naming}")
    await step(stack, user, "dls:confirm:send")
    return await sb.wait_for(user, lambda m: (m.text or "").startswith("✅"), TIMEOUT)


async def thread_page(stack, user, topic_id: int):
    await stack.sb.press(user, await card_of(stack, user, topic_id), data=f"dl:view:{topic_id}")
    return await stack.sb.wait_for(user, lambda m: (m.text or "").startswith("📖"), TIMEOUT)


async def staff(stack):
    return stack.world.people.get("S001") or await stack.world.join("S001", "周文清")


async def test_staff_open_in_chat_the_audience_contributes_replies_and_pages_through_the_thread(stack):
    pilot = await stack.pilot()
    sb, clerk = stack.sb, await staff(stack)
    await sb.send(clerk, "/deliberate")  # staff of social_legal: the committee is theirs, not asked
    await sb.wait_for(clerk, zh("<b>New deliberation topic.</b> Send its title. /cancel stops.").replace(
        "<b>", "").replace("</b>", ""), TIMEOUT)
    await sb.send(clerk, TOPIC)
    await sb.wait_for(clerk, zh("Send the background: a text, or a document with a caption."), TIMEOUT)
    await sb.send(clerk, "低层住户与高层住户意见不一。")
    await sb.wait_for(clerk, lambda m: "dlo:questions:none" in m.button_data.values(), TIMEOUT)
    await sb.send(clerk, "资金怎么分摊？\n谁来牵头协调？")
    await sb.wait_for(clerk, lambda m: "dlo:audience:all" in m.button_data.values(), TIMEOUT)
    await sb.send(clerk, "district:nowhere")
    await sb.wait_for(clerk, zh("Nobody the bot can reach is in that audience. Choose another one."), TIMEOUT)
    await sb.send(clerk, "district:hongqiao")
    await sb.wait_for(clerk, "2026-12-20 18:00", TIMEOUT)
    closes = shown(stack.app.clock.now() + timedelta(days=3))
    await sb.send(clerk, closes)
    preview = await step(stack, clerk, "dlo:confirm:open")
    assert TOPIC in preview.text and "谁来牵头协调？" in preview.text
    await sb.wait_for(clerk, zh("Deliberation #{id} is open until {time}; the audience is getting its card.",
                                id=1, time=closes), TIMEOUT)
    await stack.settle()

    # the audience (Hongqiao's members) gets the card with both buttons; a city member does not
    for user in (pilot.hongqiao, pilot.port_liaison, pilot.street_liaison):
        card = await card_of(stack, user, 1)
        assert TOPIC in card.text and "资金怎么分摊？" in card.text
        assert set(card.button_data.values()) == {"dl:say:1", "dl:view:1"}
    assert not any("dl:say:1" in m.button_data.values() for m in await sb.messages(pilot.city))
    refused = await sb.callback_answer(await sb.press(pilot.city, (await sb.messages(pilot.city))[-1],
                                                      data="dl:say:1", forge=True))
    assert refused["text"] == zh.plain(NOT_INVITED)

    # a named view on question 1, one named to the committee only on question 2, a reply in the thread
    done = await contribute(stack, pilot.hongqiao, 1, "建议按楼层分摊费用。", question=1)
    assert done.text == zh(SENT, number=1) and {"dl:edit:1", "dl:withdraw:1"} == set(done.button_data.values())
    await contribute(stack, pilot.port_liaison, 1, "由街道牵头召开协调会。", question=2, naming="committee")
    copy = await latest(stack, clerk, lambda m: "由街道牵头召开协调会。" in (m.text or ""))  # the committee's copy: the real name
    assert "吴思远" in copy.text and set(copy.button_data.values()) == {"dl:hide:2", "dl:pin:2"}
    page = await thread_page(stack, pilot.street_liaison, 1)
    assert "建议按楼层分摊费用。" in page.text and "赵丽娟" in page.text
    assert "吴思远" not in page.text  # named to the committee only: the alias outside it
    async with stack.app.db.read() as conn:
        alias = await people.alias_if_made(conn, (await people.by_roster_id(conn, "H004")).id)
    assert alias and alias in page.text
    await contribute(stack, pilot.street_liaison, 1, "同意，还应听取低层住户意见。", reply_to=1)
    page = await thread_page(stack, pilot.hongqiao, 1)
    assert "↳ #3" in page.text and zh("{contributions} contributions, {replies} replies, {participants} "
                                      "participants", contributions=2, replies=1, participants=3) in page.text

    # one a minute: a second view at once waits; after a minute it goes
    await sb.press(pilot.hongqiao, await card_of(stack, pilot.hongqiao, 1), data="dl:say:1")
    await step(stack, pilot.hongqiao, "dls:question:0")
    await sb.wait_for(pilot.hongqiao, "/cancel", TIMEOUT)
    await sb.send(pilot.hongqiao, "再补充一点。")
    await step(stack, pilot.hongqiao, "dls:file:skip")
    await step(stack, pilot.hongqiao, "dls:naming:named")
    confirm = await step(stack, pilot.hongqiao, "dls:confirm:send")
    wait = zh.plain("One contribution a minute, please: press Send again in {seconds} seconds.", seconds="\0")
    await sb.wait_for(pilot.hongqiao, wait.split("\0")[0], TIMEOUT)
    stack.app.clock.advance(timedelta(seconds=61))
    await sb.press(pilot.hongqiao, confirm, data="dls:confirm:send")
    await sb.wait_for(pilot.hongqiao, zh(SENT, number=4), TIMEOUT)

    # seven more roots: two pages, newest first, the page buttons turn them in place
    async def many(ctx):
        member = await people.by_roster_id(ctx.conn, "H005")
        for n in range(7):
            await store.add(ctx.conn, 1, member_id=member.id, text=f"第{n}条补充意见", naming="named",
                            status="visible", pinned=False, created_at=ctx.now)
    await office(stack, many)
    first = await thread_page(stack, pilot.hongqiao, 1)
    assert "第6条补充意见" in first.text and "建议按楼层分摊费用。" not in first.text
    await sb.press(pilot.hongqiao, first, data="dl:view:1:2")
    second = await sb.wait_for(pilot.hongqiao, lambda m: m.id == first.id and "建议按楼层分摊费用。" in m.text, TIMEOUT)
    assert "dl:view:1:1" in second.button_data.values()


async def test_edit_and_withdraw_within_15_minutes_then_politely_refused_and_bad_input(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    topic = await open_topic(stack, hours=2)
    done = await contribute(stack, pilot.hongqiao, topic.id, "初稿。")
    await sb.press(pilot.hongqiao, done, data="dl:edit:1")
    await sb.wait_for(pilot.hongqiao, zh("Send the new text of #{number}. /cancel keeps it as it is.", number=1),
                      TIMEOUT)
    await sb.send(pilot.hongqiao, "修改后的意见。")
    await sb.wait_for(pilot.hongqiao, zh("✅ #{number} now reads as you wrote it.", number=1), TIMEOUT)
    row = await stack.row("contributions", id=1)
    assert row.text == "修改后的意见。" and row.edited_at is not None

    stack.app.clock.advance(timedelta(minutes=16))
    answer = await sb.callback_answer(await sb.press(pilot.hongqiao, done, data="dl:withdraw:1"))
    assert answer["text"] == zh.plain(TIME_OVER)
    second = await contribute(stack, pilot.hongqiao, topic.id, "第二条。")
    answer = await sb.callback_answer(await sb.press(pilot.hongqiao, second, data="dl:withdraw:2"))
    assert answer["text"] == zh.plain("Withdrawn.")
    assert (await stack.row("contributions", id=2)).status == "withdrawn"
    # someone else's button, a forged id, a forged action
    for data in ("dl:edit:2", "dl:withdraw:99", "dl:erase:1", "dl:view:x"):
        refused = await sb.callback_answer(await sb.press(pilot.port_liaison, done, data=data, forge=True))
        assert refused["show_alert"], data
    # an oversized text is refused and nothing is kept of it
    await sb.press(pilot.port_liaison, await card_of(stack, pilot.port_liaison, topic.id), data=f"dl:say:{topic.id}")
    await step(stack, pilot.port_liaison, "dls:question:1")
    await sb.wait_for(pilot.port_liaison, "/cancel", TIMEOUT)
    await sb.send(pilot.port_liaison, "长" * 3001)
    await sb.wait_for(pilot.port_liaison, "3001", TIMEOUT)
    # after closing: the draft's Send and the card's button answer 已截止
    await sb.send(pilot.port_liaison, "一条正常长度的意见。")
    await step(stack, pilot.port_liaison, "dls:file:skip")
    await step(stack, pilot.port_liaison, "dls:naming:named")
    await sb.wait_for(pilot.port_liaison, lambda m: "dls:confirm:send" in m.button_data.values(), TIMEOUT)
    stack.app.clock.advance(timedelta(hours=2))
    confirm = await step(stack, pilot.port_liaison, "dls:confirm:send")
    late = zh.plain("Sorry, this topic closed at {time}; your view was not added.", time="\0")
    await sb.wait_for(pilot.port_liaison, late.split("\0")[0], TIMEOUT)
    answer = await sb.callback_answer(await sb.press(pilot.port_liaison, confirm, data=f"dl:say:{topic.id}",
                                                     forge=True))
    assert answer["text"] == zh.plain(CLOSED)
    assert await stack.count("contributions") == 2


async def test_roles_moderation_hide_with_reason_and_pin(stack):
    pilot = await stack.pilot()
    sb, clerk = stack.sb, await staff(stack)

    async def other_staff(ctx):
        await people.create(ctx.conn, roster_id="S002", name="钱立新", level="city", committee_code="economic",
                            role="staff", created_at=ctx.now)
    await office(stack, other_staff)
    outsider = await stack.world.join("S002", "钱立新")
    topic = await open_topic(stack)
    await contribute(stack, pilot.hongqiao, topic.id, "第一条：建议设立专项资金。")
    stack.app.clock.advance(timedelta(minutes=2))
    await contribute(stack, pilot.street_liaison, topic.id, "第二条：含有不当内容。", question=2)

    # /deliberate: a plain member and staff of another committee may open only for their own
    await sb.send(pilot.city, "/deliberate")
    await sb.wait_for(pilot.city, zh("Only a committee's staff or an office admin can open a deliberation topic."),
                      TIMEOUT)
    copy = await latest(stack, clerk, lambda m: "第二条：含有不当内容。" in (m.text or ""))
    refused = await sb.callback_answer(await sb.press(pilot.city, copy, data="dlo:confirm:open", forge=True))
    assert refused["text"] == zh.plain("Only a committee's staff or an office admin can open a deliberation topic.")
    for user in (pilot.city, outsider):  # hide, pin, conclude: the committee's only
        for data in ("dl:hide:2", "dl:pin:1", f"dl:conclude:{topic.id}", f"dl:close:{topic.id}"):
            refused = await sb.callback_answer(await sb.press(user, copy, data=data, forge=True))
            assert refused["text"] == zh.plain(COMMITTEE_ONLY), (user.first_name, data)
    async with stack.app.db.read() as conn:
        member = await people.by_roster_id(conn, "S002")
    with pytest.raises(topics.DeliberationError):
        await office(stack, lambda ctx: topics.moderate(ctx, 1, "pin", by=member))

    # the topic's staff hides #2 with a reason: the author is told, the text kept, an audit row
    await sb.press(clerk, copy, data="dl:hide:2")
    await sb.wait_for(clerk, zh("Why is #{number} hidden? Send the reason; the author is told it. /cancel keeps it "
                                "shown.", number=2), TIMEOUT)
    await sb.send(clerk, "含人身攻击")
    await sb.wait_for(clerk, zh("#{number} is hidden; the author was told the reason.", number=2), TIMEOUT)
    told = await sb.wait_for(pilot.street_liaison, "含人身攻击", TIMEOUT)
    assert TOPIC in told.text
    row = await stack.row("contributions", id=2)
    assert (row.status, row.text, row.hidden_reason) == ("hidden", "第二条：含有不当内容。", "含人身攻击")
    async with stack.app.db.read() as conn:
        actions = [r.action for r in await conn.execute(select(audit_log.c.action))]
    assert "deliberation.hide" in actions

    # an admin pins #1 (first on the page); the hidden one is not on the page
    await contribute(stack, pilot.port_liaison, topic.id, "第三条：最新的意见。")
    office_copy = await latest(stack, clerk, lambda m: "第一条" in (m.text or ""))
    answer = await sb.callback_answer(await sb.press(pilot.office, office_copy, data="dl:pin:1", forge=True))
    assert answer["text"] == zh.plain("📌 Pinned: it comes first on the thread page.")
    page = await thread_page(stack, pilot.hongqiao, topic.id)
    assert page.text.index("第一条") < page.text.index("第三条") and "不当内容" not in page.text
    assert "dl:hide:1" in (await sb.message(clerk, office_copy.id)).button_data.values()

    # an admin chooses the committee in /deliberate; the topic's staff closes it early from /deliberations
    await sb.send(pilot.office, "/deliberate")
    await step(stack, pilot.office, "dlo:committee:economic")
    await sb.wait_for(pilot.office, zh("<b>New deliberation topic.</b> Send its title. /cancel stops.").replace(
        "<b>", "").replace("</b>", ""), TIMEOUT)
    await sb.send(pilot.office, "/cancel")
    await sb.send(clerk, "/deliberations")
    own = await sb.wait_for(clerk, lambda m: f"dl:close:{topic.id}" in m.button_data.values(), TIMEOUT)
    answer = await sb.callback_answer(await sb.press(clerk, own, data=f"dl:close:{topic.id}"))
    assert answer["text"] == zh.plain("Closed: the summary and the export are on their way to the committee.")
    assert (await stack.row("deliberations", id=topic.id)).status == "closed"
    await sb.wait_for(clerk, "📊", TIMEOUT)


async def test_closing_by_timer_across_a_restart_summary_export_conclusion_and_digest(stack, tmp_path):
    from tests.test_digests import digests_of, move_to_weekly
    pilot = await stack.pilot()
    sb, clerk = stack.sb, await staff(stack)
    topic = await open_topic(stack, hours=3)
    await contribute(stack, pilot.hongqiao, topic.id, "建议按楼层分摊=费用。")
    stack.app.clock.advance(timedelta(minutes=2))
    await contribute(stack, pilot.port_liaison, topic.id, "委员会署名的意见。", question=2, naming="committee")

    clock = stack.app.clock
    await stack.app.stop()
    clock.advance(timedelta(hours=3))  # the closing time passes while the bot is down
    stack.app = stack.new_app(clock=clock)
    await stack.app.start()
    await stack.app.scheduler.fire_due()
    await stack.settle()
    assert (await stack.row("deliberations", id=topic.id)).status == "closed"
    assert (await stack.row("timers", key=f"deliberation:{topic.id}:close")).status == "done"
    summary = await sb.wait_for(clerk, "📊", TIMEOUT)
    assert zh("{contributions} contributions, {replies} replies, {participants} participants",
              contributions=2, replies=0, participants=2) in summary.text
    assert "红桥区" in summary.text and "吴思远" in summary.text and "资金怎么分摊？" in summary.text
    assert zh("By level: {tally}", tally=f"{zh.plain('district level')} 2") in summary.text
    answer = await sb.callback_answer(await sb.press(pilot.hongqiao, await card_of(stack, pilot.hongqiao, topic.id),
                                                     data=f"dl:say:{topic.id}"))
    assert answer["text"] == zh.plain(CLOSED)
    documents = [c for c in await sb.calls("sendDocument") if c["params"].get("chat_id") == clerk.id]
    assert documents, "the committee got no export"

    path = tmp_path / "export.xlsx"
    await office(stack, lambda ctx: write_export(ctx.conn, topic, path))
    cells = [[c.value for c in row] for row in load_workbook(path).active.iter_rows()]
    assert any("建议按楼层分摊=费用。" in row for row in cells) and any("吴思远" in row for row in cells)

    # the conclusion from the summary's button reaches both participants, then the digest
    await sb.press(clerk, summary, data=f"dl:conclude:{topic.id}")
    await sb.wait_for(clerk, "议政结论", TIMEOUT)
    await sb.send(clerk, "建议由街道牵头，按楼层分摊。")
    await sb.wait_for(clerk, zh("The conclusion is on its way to {count} participants.", count=2), TIMEOUT)
    for user in (pilot.hongqiao, pilot.port_liaison):
        await sb.wait_for(user, "建议由街道牵头，按楼层分摊。", TIMEOUT)
    await move_to_weekly(stack)
    digest = (await digests_of(stack, pilot.street_liaison))[-1]
    assert "议政结论" in digest.text and TOPIC in digest.text


async def test_the_command_line_opens_lists_shows_moderates_closes_exports_and_concludes(stack, tmp_path):
    pilot = await stack.pilot()
    database = stack.app.settings.database
    runner = CliRunner()

    def linkage(*args):
        result = runner.invoke(cli_main, ["--database", database, "deliberation", *args])
        assert result.exit_code == 0, result.output
        return result.output

    async def cli(*args):
        output = await asyncio.to_thread(linkage, *args)
        stack.app.sender.wake.set()
        return output

    closes = shown(stack.app.clock.now() + timedelta(days=2))
    out = await cli("open", "--title", TOPIC, "--committee", "social_legal", "--audience", "list:H001,C001",
                    "--closes", closes, "--body", "背景材料。", "--question", "资金怎么分摊？")
    assert "deliberation #1 opens now" in out
    await card_of(stack, pilot.hongqiao, 1)
    await card_of(stack, pilot.city, 1)
    await contribute(stack, pilot.hongqiao, 1, "命令行之外的意见。")
    assert "1 contributions" in await cli("list")
    assert "命令行之外的意见。" in await cli("show", "1")
    assert "hidden" in await cli("hide", "1", "--reason", "重复")
    await sb_wait(stack, pilot.hongqiao, "重复")
    assert "/bind " in await cli("room", "1")
    assert "closed" in await cli("close", "1")
    assert "1 rows" in await cli("export", "1", "--out", str(tmp_path / "d.xlsx"))
    assert "queued for 0 participants" in await cli("conclude", "1", "--body", "结论。")  # the only one was hidden
    refused = await asyncio.to_thread(runner.invoke, cli_main, ["--database", database, "deliberation", "close", "1"])
    assert refused.exit_code != 0 and "already closed" in refused.output


async def sb_wait(stack, user, text):
    return await stack.sb.wait_for(user, text, TIMEOUT)


@pytest.mark.tier("http")
async def test_a_member_contributes_and_sees_the_thread_over_http(stack):
    pilot = await stack.pilot()
    topic = await open_topic(stack)
    done = await contribute(stack, pilot.hongqiao, topic.id, "通过两个框架发表的意见。")
    assert done.text == zh(SENT, number=1)
    page = await thread_page(stack, pilot.hongqiao, topic.id)
    assert "通过两个框架发表的意见。" in page.text


async def test_the_room_mirrors_contributions_as_named_and_a_later_opening_waits_for_its_timer(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    opens = stack.app.clock.now() + timedelta(hours=1)
    topic = await office(stack, lambda ctx: topics.open_topic(
        ctx, title=TOPIC, committee="social_legal", audience_spec="district:hongqiao", opens=opens,
        closes=opens + timedelta(days=1), body="背景。", questions=["资金怎么分摊？"]))
    await stack.settle()
    assert topic.status == "scheduled"
    assert not any(f"dl:say:{topic.id}" in m.button_data.values() for m in await sb.messages(pilot.hongqiao))
    stack.app.clock.advance(timedelta(hours=1, minutes=1))
    await stack.app.scheduler.fire_due()
    await card_of(stack, pilot.hongqiao, topic.id)  # the opening timer sent the cards

    key = await office(stack, lambda ctx: topics.room_key(ctx.conn, topic.id, ctx.now, hours=48))
    room = await sb.group("网络议政·加装电梯", members=[pilot.hongqiao.id], admins=[pilot.office.id], forum=True)
    thread = await sb.topic(room, "加装电梯")
    await sb.send(pilot.office, f"/bind {key}", chat=room, thread=thread)
    bound = await sb.wait_for(room, "✅", TIMEOUT, thread=thread)
    assert "社情民意" not in bound.text  # a room gets no report cards

    await contribute(stack, pilot.hongqiao, topic.id, "署名的意见。")
    stack.app.clock.advance(timedelta(minutes=2))
    done = await contribute(stack, pilot.port_liaison, topic.id, "只向专委会署名的意见。", naming="committee")
    await thread_page(stack, pilot.street_liaison, topic.id)
    await contribute(stack, pilot.street_liaison, topic.id, "跟帖。", reply_to=1)
    await stack.settle()
    mirrored = [m.text for m in await sb.messages(room, thread) if m.from_bot and (m.text or "").startswith("🗳")]
    assert len(mirrored) == 3
    assert "赵丽娟" in mirrored[0] and "红桥区" in mirrored[0]
    assert "吴思远" not in mirrored[1] and "只向专委会署名的意见。" in mirrored[1]
    assert zh("reply to #{number}", number=1) in mirrored[2]
    await sb.press(pilot.port_liaison, done, data="dl:withdraw:2")  # the room's copy changes in place
    await sb.wait_for(room, zh("(withdrawn by the author)"), TIMEOUT, thread=thread)

    # /my and /mydata show the member's part; the digest's coming-up names the topic
    await sb.send(pilot.hongqiao, "/my")
    await sb.wait_for(pilot.hongqiao, zh("· «{title}»: {count} contributions of yours", title=TOPIC, count=1),
                      TIMEOUT)
    async with stack.app.db.read() as conn:
        member = await people.by_roster_id(conn, "H001")
        data = await mydata.collect(conn, member, REGISTRY)
        upcoming = await views.upcoming(conn, member, stack.app.clock.now(), stack.app.clock.now()
                                        + timedelta(days=7), "zh", {})
    assert [c["text"] for c in data["deliberation_contributions"]] == ["署名的意见。"]
    assert len(upcoming) == 1 and TOPIC in upcoming[0]


async def test_a_room_bound_after_members_spoke_gets_what_was_said_in_order(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    topic = await open_topic(stack)
    await contribute(stack, pilot.hongqiao, topic.id, "绑定前的第一条意见。")
    stack.app.clock.advance(timedelta(minutes=2))
    withdrawn = await contribute(stack, pilot.port_liaison, topic.id, "随后撤回的意见。")
    await sb.press(pilot.port_liaison, withdrawn, data="dl:withdraw:2")
    await thread_page(stack, pilot.street_liaison, topic.id)
    await contribute(stack, pilot.street_liaison, topic.id, "绑定前的跟帖。", reply_to=1)
    key = await office(stack, lambda ctx: topics.room_key(ctx.conn, topic.id, ctx.now, hours=48))
    room = await sb.group("网络议政·晚绑定", members=[pilot.hongqiao.id], admins=[pilot.office.id])
    for _ in range(2):  # bound twice: what is posted there already is not posted again
        await sb.send(pilot.office, f"/bind {key}", chat=room)
        await sb.wait_for(room, "✅", TIMEOUT)
        await stack.settle()
        key = await office(stack, lambda ctx: topics.room_key(ctx.conn, topic.id, ctx.now, hours=48))
    mirrored = [m.text for m in await sb.messages(room) if m.from_bot and (m.text or "").startswith("🗳")]
    assert len(mirrored) == 2  # the withdrawn view is not brought in
    assert "绑定前的第一条意见。" in mirrored[0] and "#1" in mirrored[0]
    assert "绑定前的跟帖。" in mirrored[1] and zh("reply to #{number}", number=1) in mirrored[1]


async def test_staff_open_and_threads_on_postgres(pg_stack):
    await test_staff_open_in_chat_the_audience_contributes_replies_and_pages_through_the_thread(pg_stack)


async def test_closing_across_a_restart_on_postgres(pg_stack, tmp_path):
    await test_closing_by_timer_across_a_restart_summary_export_conclusion_and_digest(pg_stack, tmp_path)
