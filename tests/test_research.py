"""调查研究 end to end: a member proposes a direction to a committee, whose staff accept it as a
project (or merge it, or decline it with a reason the member is told); every member — not only the
committee's — gets the call and joins within the places (full: a polite refusal; leaving frees a
place); step reminders fire across a restart; who may open and direct a project; the command line
opens, lists, shows, exports and delivers. Visits, findings and the paper: test_research_work.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main as cli_main
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import local_day, shown
from handlers.features import REGISTRY
from handlers.research import projects
from handlers.research.common import DIRECTORS_ONLY, GONE
from handlers.research.director import OPEN_ONLY, PLAN_HELP
from storage import people
from storage import research as store

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30
TITLE = "老旧小区适老化改造调研"
FULL = "Sorry, all {capacity} places of «{title}» are taken. Thank you for your interest."


async def office(stack, work):
    """The operator acting like the command line: one transaction of its own on the bot's database."""
    async with stack.app.db.transaction() as conn:
        result = await work(Ctx.offline(conn, stack.app.clock.now(), stack.app.scheduler.config, REGISTRY))
    stack.app.sender.wake.set()
    return result


def days(stack, *offsets) -> list[str]:
    today = local_day(stack.app.clock.now())
    return [str(today + timedelta(days=n)) for n in offsets]


async def open_project(stack, *, capacity=None, committee="social_legal", steps=(3, 10, 20)):
    return await office(stack, lambda ctx: projects.open_project(
        ctx, title=TITLE, committee=committee, goal="摸清老旧小区适老化改造的难点。",
        questions=["加装电梯的资金如何分摊？", "社区养老设施缺什么？"], steps=days(stack, *steps), capacity=capacity))


async def staff(stack):
    return stack.world.people.get("S001") or await stack.world.join("S001", "周文清")


async def latest(stack, user, predicate):
    await stack.settle()
    found = [m for m in await stack.sb.messages(user) if m.from_bot and predicate(m)]
    return found[-1] if found else await stack.sb.wait_for(user, predicate, TIMEOUT)


async def offered(stack, user, data: str):
    return await latest(stack, user, lambda m: data in m.button_data.values())


async def press(stack, user, data: str):
    """Press the newest message that offers ``data``; returns the callback's answer."""
    message = await offered(stack, user, data)
    return await stack.sb.callback_answer(await stack.sb.press(user, message, data=data))


async def forged(stack, user, data: str):
    message = (await stack.sb.messages(user))[-1]
    return await stack.sb.callback_answer(await stack.sb.press(user, message, data=data, forge=True))


async def propose(stack, user, committee="social_legal", *, photo=False, title="社区养老服务站运营难"):
    sb = stack.sb
    await sb.send(user, "/research")
    await press(stack, user, "rs:propose")
    await press(stack, user, f"rsp:committee:{committee}")
    await sb.wait_for(user, zh.plain("Send the direction's title (at most 60 characters)."), TIMEOUT)
    await sb.send(user, title)
    await sb.wait_for(user, zh.plain("Why is it worth researching? Send a few sentences."), TIMEOUT)
    await sb.send(user, "不少街道的养老服务站建成后运营不下去。")
    await sb.wait_for(user, zh.plain("What should the research find out? One question a line."), TIMEOUT)
    await sb.send(user, "运营资金从哪里来？\n服务需求有多大？")
    await offered(stack, user, "rsp:file:skip")
    if photo:
        await sb.send_photo(user, caption="现场照片")
    else:
        await press(stack, user, "rsp:file:skip")
    await press(stack, user, "rsp:confirm:send")
    return await sb.wait_for(user, lambda m: (m.text or "").startswith("✅"), TIMEOUT)


async def test_a_member_proposes_staff_accept_it_in_chat_and_every_member_is_called(stack):
    pilot = await stack.pilot()
    sb, clerk = stack.sb, await staff(stack)
    done = await propose(stack, pilot.hongqiao, photo=True)
    assert "#1" in done.text and "社会和法制委员会" in done.text
    card = await offered(stack, clerk, "rs:accept:1")
    assert "社区养老服务站运营难" in card.text and "赵丽娟" in card.text and "运营资金从哪里来？" in card.text
    assert [c for c in await sb.calls("sendPhoto") if c["params"].get("chat_id") == clerk.id]
    # not the committee's: a plain member, a liaison, the staff of no committee cannot decide
    for user in (pilot.city, pilot.port_liaison):
        for data in ("rs:accept:1", "rs:merge:1", "rs:refuse:1"):
            assert (await forged(stack, user, data))["text"] == zh.plain(DIRECTORS_ONLY), data
    assert (await forged(stack, clerk, "rs:accept:99"))["text"] == zh.plain(GONE)

    # the staff accept: the opening flow asks only for the plan, then opens it
    await press(stack, clerk, "rs:accept:1")
    await sb.wait_for(clerk, zh.plain(PLAN_HELP).splitlines()[0], TIMEOUT)
    await sb.send(clerk, "\n".join(days(stack, 10, 3, 20) + ["2"]))  # out of order: refused
    await sb.wait_for(clerk, zh.plain("Those are not three dates to come, in order, and a number. "), TIMEOUT)
    await sb.send(clerk, "\n".join(days(stack, 3, 10, 20) + ["2"]))
    preview = await offered(stack, clerk, "rso:confirm:open")
    assert "社区养老服务站运营难" in preview.text and "运营资金从哪里来？" in preview.text
    await press(stack, clerk, "rso:confirm:open")
    await sb.wait_for(clerk, zh.plain("Research project #{id} is open; every member is getting the call.", id=1),
                      TIMEOUT)
    told = await sb.wait_for(pilot.hongqiao, "#1", TIMEOUT)
    assert "社区养老服务站运营难" in told.text
    assert (await stack.row("research_proposals", id=1)).status == "accepted"
    assert (await stack.row("research_projects", id=1)).proposal_id == 1
    assert await stack.count("research_milestones", project_id=1) == 3

    # the call reaches every member, across committees and levels, with both buttons
    for user in (pilot.city, pilot.hongqiao, pilot.topic_liaison, pilot.office):
        call = await offered(stack, user, "rs:join:1")
        assert set(call.button_data.values()) == {"rs:join:1", "rs:decline:1"} and "选准调研课题" in call.text
    await press(stack, pilot.city, "rs:join:1")  # an economic committee member joins a social_legal project
    await sb.wait_for(pilot.city, zh.plain("✅ You have joined «{title}». Send findings from /research; field visits "
                                           "come as study-calendar cards.", title="社区养老服务站运营难"), TIMEOUT)
    assert (await stack.row("research_members", project_id=1)).status == "joined"
    card = await sb.wait_for(pilot.city, lambda m: "rs:join:1" in m.button_data.values()
                             and zh.plain("👥 {joined} of {capacity} places taken", joined=1, capacity=2) in m.text,
                             TIMEOUT)  # the call card shows the place taken, in place
    assert card is not None


async def test_a_full_project_refuses_politely_and_leaving_frees_a_place(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    project = await open_project(stack, capacity=2)
    await press(stack, pilot.city, f"rs:join:{project.id}")
    await press(stack, pilot.hongqiao, f"rs:join:{project.id}")
    refused = await press(stack, pilot.port_liaison, f"rs:join:{project.id}")
    assert refused["show_alert"] and refused["text"] == zh.plain(FULL, capacity=2, title=TITLE)
    assert await stack.count("research_members", project_id=project.id, status="joined") == 2
    again = await forged(stack, pilot.city, f"rs:join:{project.id}")
    assert again["text"] == zh.plain("You have already joined «{title}».", title=TITLE)
    await press(stack, pilot.hongqiao, f"rs:decline:{project.id}")
    await sb.wait_for(pilot.hongqiao, zh.plain("You have left «{title}»; your place is free for another member.",
                                               title=TITLE), TIMEOUT)
    await forged(stack, pilot.port_liaison, f"rs:join:{project.id}")
    await sb.wait_for(pilot.port_liaison, "✅", TIMEOUT)
    assert {r.status for r in await _answers(stack, project.id)} == {"joined", "left"}
    # bad input: a project that does not exist, a forged action, a finding from a non-participant
    for data in ("rs:join:999", "rs:finding:999", "rs:erase:1", "rs:join:x"):
        assert (await forged(stack, pilot.street_liaison, data))["show_alert"], data
    answer = await forged(stack, pilot.hongqiao, f"rs:finding:{project.id}")
    assert answer["text"] == zh.plain("Only the project's participants can send findings to it.")
    # a stranger (not on the roster) is refused and changes nothing
    stranger = await sb.user("Stranger", language_code="en")
    await sb.send(stranger, "/research")
    await sb.wait_for(stranger, None, TIMEOUT)
    await sb.press(stranger, (await sb.messages(stranger))[-1], data=f"rs:join:{project.id}", forge=True)
    await stack.settle()
    assert await stack.count("research_members", project_id=project.id) == 3


async def _answers(stack, project_id):
    async with stack.app.db.read() as conn:
        return await store.answers(conn, project_id)


async def test_merge_into_a_project_and_decline_with_a_reason_the_member_sees(stack):
    pilot = await stack.pilot()
    sb, clerk = stack.sb, await staff(stack)
    project = await open_project(stack)
    await propose(stack, pilot.hongqiao, title="养老服务站运营")
    await propose(stack, pilot.city, title="另一个方向")
    await propose(stack, pilot.port_liaison, "office", title="交委员学习和联络室的方向")
    # the office's proposal goes to the office's admins, not the committee's staff
    await offered(stack, pilot.office, "rs:accept:3")
    assert not [m for m in await sb.messages(clerk) if "rs:accept:3" in m.button_data.values()]
    assert (await forged(stack, clerk, "rs:accept:3"))["text"] == zh.plain(DIRECTORS_ONLY)

    card = await offered(stack, clerk, "rs:merge:1")
    await press(stack, clerk, "rs:merge:1")
    await press(stack, clerk, f"rsm:1:{project.id}")
    decided = await sb.wait_for(clerk, lambda m: m.id == card.id and not m.button_data, TIMEOUT)  # in place
    assert zh.plain("merged into a project") in decided.text
    told = await sb.wait_for(pilot.hongqiao, "🔗", TIMEOUT)
    assert TITLE in told.text and f"rs:join:{project.id}" in told.button_data.values()
    assert (await stack.row("research_proposals", id=1)).status == "merged"
    answer = await forged(stack, clerk, "rs:refuse:1")  # decided already
    assert answer["show_alert"] and zh.plain("merged into a project") in answer["text"]

    await press(stack, clerk, "rs:refuse:2")
    await sb.wait_for(clerk, "/cancel", TIMEOUT)
    await sb.send(clerk, "与已有课题重复，建议参加现有项目")
    await sb.wait_for(clerk, zh.plain("Declined; the member was told the reason."), TIMEOUT)
    told = await sb.wait_for(pilot.city, "与已有课题重复，建议参加现有项目", TIMEOUT)
    assert "另一个方向" in told.text
    row = await stack.row("research_proposals", id=2)
    assert (row.status, row.decline_reason) == ("declined", "与已有课题重复，建议参加现有项目")
    await sb.send(pilot.city, "/my")
    await sb.wait_for(pilot.city, lambda m: "另一个方向" in (m.text or "") and "与已有课题重复" in m.text, TIMEOUT)


async def test_step_reminders_fire_across_a_restart_and_a_done_step_stays_quiet(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    project = await open_project(stack, steps=(2, 4, 6))
    await press(stack, pilot.hongqiao, f"rs:join:{project.id}")
    async with stack.app.db.read() as conn:
        first, second, _ = await store.milestones(conn, project.id)
    await office(stack, lambda ctx: projects.complete_step(ctx, second.id))  # done early: no reminder
    clock = stack.app.clock
    await stack.app.stop()
    clock.advance(first.due_at - clock.now() - timedelta(hours=12))  # past the first reminder, while down
    stack.app = stack.new_app(clock=clock)
    await stack.app.start()
    await stack.app.scheduler.fire_due()
    await stack.settle()
    reminder = await sb.wait_for(pilot.hongqiao, "⏰", TIMEOUT)
    assert TITLE in reminder.text and "选准调研课题" in reminder.text
    assert (await stack.row("timers", key=f"research:{project.id}:step:{first.id}:remind")).status == "done"
    assert (await stack.row("timers", key=f"research:{project.id}:step:{second.id}:remind")).status == "skipped"
    assert not [m for m in await sb.messages(pilot.city) if (m.text or "").startswith("⏰")]  # not a participant


async def test_roles_who_may_open_a_project_and_the_opening_flow(stack):
    pilot = await stack.pilot()
    sb, clerk = stack.sb, await staff(stack)
    await sb.send(pilot.city, "/research")
    listing = await sb.wait_for(pilot.city, "调查研究", TIMEOUT)
    assert "rs:open" not in listing.button_data.values() and "rs:propose" in listing.button_data.values()
    assert (await forged(stack, pilot.city, "rs:open"))["text"] == zh.plain(OPEN_ONLY)
    assert (await forged(stack, pilot.city, "rso:confirm:open"))["text"] == zh.plain(OPEN_ONLY)
    # the staff open one for their own committee, step by step
    await sb.send(clerk, "/research")
    await press(stack, clerk, "rs:open")
    await sb.wait_for(clerk, "60", TIMEOUT)
    await sb.send(clerk, "社区嵌入式养老调研")
    await sb.wait_for(clerk, zh.plain("Send the project's goal: what the research is for."), TIMEOUT)
    await sb.send(clerk, "总结嵌入式养老的经验。")
    await press(stack, clerk, "rso:questions:none")
    await sb.wait_for(clerk, zh.plain(PLAN_HELP).splitlines()[0], TIMEOUT)
    await sb.send(clerk, "\n".join(days(stack, 5, 15, 30) + ["0"]))
    preview = await offered(stack, clerk, "rso:confirm:open")
    assert zh.plain("👥 {joined} joined (no limit)", joined=0) in preview.text
    await press(stack, clerk, "rso:confirm:open")
    await sb.wait_for(clerk, zh.plain("Research project #{id} is open; every member is getting the call.", id=1),
                      TIMEOUT)
    row = await stack.row("research_projects", id=1)
    assert (row.committee_code, row.capacity, row.opened_by is not None) == ("social_legal", None, True)
    # an admin chooses the committee; the staff of another committee may not direct this one
    await sb.send(pilot.office, "/research")
    await press(stack, pilot.office, "rs:open")
    await offered(stack, pilot.office, "rso:committee:economic")
    await sb.send(pilot.office, "/cancel")
    assert not (await forged(stack, pilot.office, "rs:progress:1")).get("text")  # an admin directs every project
    await stack.sb.wait_for(pilot.office, "📊", TIMEOUT)
    # the staff of another committee direct their own projects only
    async def other_staff(ctx):
        await people.create(ctx.conn, roster_id="S002", name="钱立新", level="city", committee_code="economic",
                            role="staff", created_at=ctx.now)
    await office(stack, other_staff)
    outsider = await stack.world.join("S002", "钱立新")
    async with stack.app.db.read() as conn:
        step_id = (await store.milestones(conn, 1))[0].id
    for data in ("rs:progress:1", "rs:paper:1", "rs:visit:1", f"rsd:{step_id}"):
        assert (await forged(stack, outsider, data))["text"] == zh.plain(DIRECTORS_ONLY), data
    with pytest.raises(projects.ResearchError):
        await office(stack, lambda ctx: projects.open_project(
            ctx, title="x", committee="nowhere", goal="y", steps=days(stack, 1, 2, 3)))
    with pytest.raises(projects.ResearchError):
        await open_project(stack, steps=(-1, 2, 3))


async def test_the_command_line_opens_lists_shows_exports_and_delivers(stack, tmp_path):
    pilot = await stack.pilot()
    database = stack.app.settings.database
    runner = CliRunner()

    def linkage(*args, ok=True):
        result = runner.invoke(cli_main, ["--database", database, "research", *args])
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    async def cli(*args, ok=True):
        output = await asyncio.to_thread(linkage, *args, ok=ok)
        stack.app.sender.wake.set()
        return output

    select, visit, exchange = days(stack, 2, 9, 16)
    out = await cli("open", "--title", TITLE, "--committee", "social_legal", "--goal", "摸清难点。",
                    "--question", "资金如何分摊？", "--select", select, "--visit", visit, "--exchange", exchange,
                    "--capacity", "5")
    assert "research project #1 open" in out
    assert "needs participants" in await cli("visit", "1", "--title", "x", "--start", "2030-01-01 09:00",
                                             "--end", "2030-01-01 10:00", "--place", "y", ok=False)
    await press(stack, pilot.hongqiao, "rs:join:1")
    await stack.settle()
    assert "1/5 joined" in await cli("list")
    start = stack.app.clock.now() + timedelta(days=3)
    out = await cli("visit", "1", "--title", "走访红桥区养老服务中心", "--start", shown(start), "--end",
                    shown(start + timedelta(hours=2)), "--place", "红桥区养老服务中心")
    assert "study session #" in out
    await offered(stack, pilot.hongqiao, "st:a:1")
    async with stack.app.db.transaction() as conn:
        member = await people.by_roster_id(conn, "H001")
        await store.add_finding(conn, project_id=1, member_id=member.id, text="=危险公式 也要原样保存",
                                created_at=stack.app.clock.now())
    shown_ = await cli("show", "1")
    assert "H001 赵丽娟: joined" in shown_ and "=危险公式" in shown_ and "走访红桥区养老服务中心" in shown_
    path = tmp_path / "research.xlsx"
    assert "1 findings" in await cli("export", "1", "--out", str(path))
    book = load_workbook(path)
    assert set(book.sheetnames) >= {"项目", "参与委员", "调研发现", "调研走访"}
    participants = [[c.value for c in row] for row in book["参与委员"].iter_rows()]
    assert ["H001", "赵丽娟", "参加"] == participants[1][:3]
    findings = [[c.value for c in row] for row in book["调研发现"].iter_rows()]
    assert findings[1][4] == "=危险公式 也要原样保存" and book["调研发现"]["E2"].data_type == "s"
    assert any("走访红桥区养老服务中心" in (row[1] or "") for row in
               [[c.value for c in r] for r in book["调研走访"].iter_rows()])
    assert "/bind " in await cli("room", "1")
    paper = tmp_path / "调研报告.pdf"
    paper.write_bytes(b"%PDF-1.4 paper")
    assert "queued for 2 people" in await cli("paper", "1", "--file", str(paper), "--summary", "建议。")
    assert "already delivered" in await cli("paper", "1", "--file", str(paper), ok=False)
    assert "there is no research project #7" in await cli("show", "7", ok=False)
    assert "--out must name an .xlsx" in await cli("export", "1", "--out", str(tmp_path / "a.csv"), ok=False)


@pytest.mark.tier("http")
async def test_a_member_proposes_and_joins_over_http(stack):
    pilot = await stack.pilot()
    await staff(stack)
    done = await propose(stack, pilot.hongqiao)
    assert "#1" in done.text
    project = await open_project(stack)
    await press(stack, pilot.city, f"rs:join:{project.id}")
    await stack.sb.wait_for(pilot.city, "✅", TIMEOUT)
    assert await stack.count("research_members", project_id=project.id, status="joined") == 1


async def test_capacity_under_a_row_lock_on_postgres(pg_stack):
    await test_a_full_project_refuses_politely_and_leaving_frees_a_place(pg_stack)


async def test_a_proposal_refuses_an_over_long_title_a_wrong_file_and_a_forged_committee(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await sb.send(pilot.hongqiao, "/research")
    await press(stack, pilot.hongqiao, "rs:propose")
    assert (await forged(stack, pilot.hongqiao, "rsp:committee:nowhere"))["show_alert"]
    await press(stack, pilot.hongqiao, "rsp:committee:office")
    await sb.wait_for(pilot.hongqiao, zh.plain("Send the direction's title (at most 60 characters)."), TIMEOUT)
    await sb.send(pilot.hongqiao, "长" * 61)
    await sb.wait_for(pilot.hongqiao, zh.plain("At most {limit} characters, please. Send a shorter one.", limit=60),
                      TIMEOUT)
    for text in ("社区食堂", "老人吃饭难。", "价格？"):
        await sb.send(pilot.hongqiao, text)
        await stack.settle()
    await sb.send_voice(pilot.hongqiao)  # not a photo or a document
    await sb.wait_for(pilot.hongqiao, zh.plain("Send a photo or a document, or press Skip."), TIMEOUT)
    await press(stack, pilot.hongqiao, "rsp:file:skip")
    await sb.send(pilot.hongqiao, "发送")  # a message where a press is asked
    await sb.wait_for(pilot.hongqiao, zh.plain("Please choose one of the buttons above, or /cancel to stop."), TIMEOUT)
    await press(stack, pilot.hongqiao, "rsp:confirm:cancel")
    await sb.wait_for(pilot.hongqiao, zh.plain("Nothing was sent."), TIMEOUT)
    assert await stack.count("research_proposals") == 0
