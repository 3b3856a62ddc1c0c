"""民主监督 end to end: a report becomes an oversight item, is sent to its department with a
working-day deadline (the holiday table counts), the office records the reply, the report's author
and co-signer rate it — 不满意 reopens it with a new deadline, a later round is rated and the item
closes into the digest; overdue nudges reach the office across a restart; an inspection is a
study session with sign-up, capacity and check-in whose participants attach findings; points,
the duty record, /oversight, /my, /mydata and the export show what was recorded; roles and bad
input are refused and change nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main as cli_main
from handlers.core.buttons import INVALID
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import local, local_day, shown
from handlers.features import REGISTRY
from handlers.oversight import inspections, items, views
from handlers.oversight.common import NOT_NOW, NOT_PARTICIPANT, NOT_YOURS, OversightError
from handlers.oversight.export import write_export
from handlers.points import ledger
from handlers.privacy import mydata
from storage import calendar as calendar_store
from storage import cosign, people
from storage import items as report_store
from storage import oversight as store
from storage import points as points_store
from storage import timers

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30
SUBJECT = "西于庄街道夜间停车难的整改"
PROMISE = "年底前新增错时共享车位200个"


async def office(stack, work):
    """The office acting like the command line: one transaction of its own on the bot's database."""
    async with stack.app.db.transaction() as conn:
        result = await work(Ctx.offline(conn, stack.app.clock.now(), stack.app.scheduler.config, REGISTRY))
    stack.app.sender.wake.set()
    return result


async def member(stack, roster_id: str):
    async with stack.app.db.read() as conn:
        return await people.by_roster_id(conn, roster_id)


async def a_report_with_a_cosigner(stack, pilot, privacy="anonymous") -> str:
    """赵丽娟 (H001) submits a report; 王晓明 (C001) signs it too."""
    code = await stack.world.submit(pilot.hongqiao, topic="smart_parking", area="city", privacy=privacy,
                                    observation="西于庄街道夜间停车难，车辆占用消防通道。", suggestion="建议推行错时共享停车。")
    async with stack.app.db.transaction() as conn:
        report = await report_store.by_code(conn, code)
        city = await people.by_roster_id(conn, "C001")
        await cosign.sign_up(conn, report.id, city.id, stack.app.clock.now())
    return code


async def latest(stack, user, predicate):
    """The newest bot message in the user's chat that matches, sent before or after the cursor."""
    await stack.settle()
    found = [m for m in await stack.sb.messages(user) if m.from_bot and predicate(m)]
    return found[-1] if found else await stack.sb.wait_for(user, predicate, TIMEOUT)


async def rate(stack, user, item_id: int, round_: int, code: str, reason: str, expect: str):
    card = await latest(stack, user, lambda m: f"ovr:{item_id}:{round_}:{code}" in m.button_data.values())
    await stack.sb.press(user, card, data=f"ovr:{item_id}:{round_}:{code}")
    await stack.sb.wait_for(user, lambda m: "/cancel" in (m.text or ""), TIMEOUT)
    await stack.sb.send(user, reason)
    return await stack.sb.wait_for(user, expect, TIMEOUT)


async def refused(stack, user, data: str) -> str:
    """A press of ``data`` (forged onto the user's last message): what the bot answers."""
    messages = await stack.sb.messages(user)
    return (await stack.sb.callback_answer(await stack.sb.press(user, messages[-1], data=data, forge=True)))["text"]


async def test_a_report_becomes_an_item_unsatisfied_reopens_it_and_a_rated_reply_closes_it(stack, tmp_path):
    pilot = await stack.pilot()
    sb = stack.sb
    code = await a_report_with_a_cosigner(stack, pilot)
    item = await office(stack, lambda ctx: items.open_item(
        ctx, subject=SUBJECT, department="city_transport", promise=PROMISE, report=code))
    hongqiao, city = await member(stack, "H001"), await member(stack, "C001")
    assert item.raisers == [hongqiao.id, city.id] and item.status == "opened"
    for user in (pilot.hongqiao, pilot.city):
        await sb.wait_for(user, lambda m: SUBJECT in (m.text or "") and "民主监督" in m.text, TIMEOUT)

    # sent: the department has 15 working days, counted with the holiday table (a holiday skipped)
    now = stack.app.clock.now()
    async with stack.app.db.read() as conn:
        calendar = await calendar_store.load(conn)
    first = local_day(now) + timedelta(days=1)
    while not calendar.is_working_day(first):
        first += timedelta(days=1)
    async with stack.app.db.transaction() as conn:
        await calendar_store.put(conn, first, "holiday", "测试假日", "office", now)
    sent = await office(stack, lambda ctx: items.send_item(ctx, item.id, due_days=1))
    assert sent.status == "sent_to_department" and local(sent.due_at).strftime("%H:%M") == "17:30"
    assert local_day(sent.due_at) > first  # the holiday does not count
    assert (await stack.row("timers", key=f"oversight:{item.id}:due:1:1")).status == "pending"

    # the department's reply: both raisers get the rating card; the nudge is called off
    await office(stack, lambda ctx: items.record_reply(ctx, item.id, text="已协调周边单位开放车位80个。"))
    assert (await stack.row("timers", key=f"oversight:{item.id}:due:1:1")).status == "skipped"
    card = await latest(stack, pilot.hongqiao, lambda m: f"ovr:{item.id}:1:u" in m.button_data.values())
    assert "已协调周边单位开放车位80个。" in card.text and "市交通运输委" in card.text and PROMISE in card.text
    assert await refused(stack, pilot.port_liaison, f"ovr:{item.id}:1:u") == zh.plain(NOT_YOURS)

    # 不满意 with a reason, days later: reopened, round 2, a new deadline counted from now (over a
    # weekend it may fall on the first one's day); the office is told
    stack.app.clock.advance(timedelta(days=3))
    await rate(stack, pilot.hongqiao, item.id, 1, "u", "只开放了80个，远未达到承诺。", "重新")
    row = await stack.row("oversight_items", id=item.id)
    assert row.status == "reopened" and row.round == 2 and row.due_at >= sent.due_at
    assert row.due_at > stack.app.clock.now() and local(row.due_at).strftime("%H:%M") == "17:30"
    await sb.wait_for(pilot.office, "只开放了80个，远未达到承诺。", TIMEOUT)
    assert await refused(stack, pilot.city, f"ovr:{item.id}:1:s") == zh.plain(NOT_NOW)  # round 1 is over

    # round 2: both satisfied enough → rated; closed → the digest's news
    await office(stack, lambda ctx: items.record_reply(ctx, item.id, text="新增错时共享车位210个，已全部开放。"))
    await rate(stack, pilot.hongqiao, item.id, 2, "b", "基本落实。", "已记录")
    assert (await stack.row("oversight_items", id=item.id)).status == "department_replied"
    await rate(stack, pilot.city, item.id, 2, "s", "落实到位。", "已记录")
    assert (await stack.row("oversight_items", id=item.id)).status == "rated"
    await office(stack, lambda ctx: items.close_item(ctx, item.id))
    async with stack.app.db.read() as conn:
        steps = [(s.status_to, s.actor) for s in await store.steps(conn, item.id)]
        news = await views.recent(conn, hongqiao, now, stack.app.clock.now() + timedelta(minutes=1), "zh", {})
    assert steps == [("opened", "cli"), ("sent_to_department", "cli"), ("department_replied", "cli"),
                     ("reopened", f"member:{hongqiao.id}"), ("department_replied", "cli"),
                     ("rated", f"member:{city.id}"), ("closed", "cli")]
    assert SUBJECT in "\n".join(news)
    await sb.wait_for(pilot.city, lambda m: "✅" in (m.text or "") and SUBJECT in m.text, TIMEOUT)
    from tests.test_digests import digests_of, move_to_weekly
    await move_to_weekly(stack)  # the members' weekly digest has it among the news
    digest = (await digests_of(stack, pilot.street_liaison))[-1]
    assert "民主监督事项办结" in digest.text and SUBJECT in digest.text

    # the member's views
    await sb.send(pilot.hongqiao, "/oversight")
    listing = await sb.wait_for(pilot.hongqiao, lambda m: "民主监督" in (m.text or "") and SUBJECT in m.text, TIMEOUT)
    assert zh.plain("closed") in listing.text
    await sb.send(pilot.city, "/my")
    await sb.wait_for(pilot.city, lambda m: SUBJECT in (m.text or "") and "/oversight" in m.text, TIMEOUT)
    async with stack.app.db.read() as conn:
        data = await mydata.collect(conn, hongqiao, REGISTRY)
    assert "只开放了80个，远未达到承诺。" in str(data)

    # the export: every step, reply and rating; the anonymous report's author is not named
    path = tmp_path / "oversight.xlsx"
    async with stack.app.db.read() as conn:
        assert await write_export(conn, local(now).year, path) == 1
    book = load_workbook(path)
    cells = {sheet.title: [[c.value for c in r] for r in sheet.iter_rows()] for sheet in book.worksheets}
    text = str(cells)
    assert SUBJECT in text and PROMISE in text and code in text and "新增错时共享车位210个，已全部开放。" in text
    assert "只开放了80个，远未达到承诺。" in text and "落实到位。" in text and "C001 王晓明" in text
    assert "赵丽娟" not in text and f"member:{hongqiao.id}" not in text and zh.plain("anonymous member") in text
    assert len(cells[zh.plain("Steps")]) == 1 + 7


async def test_the_item_on_postgres(pg_stack, tmp_path):
    """The same queries on PostgreSQL (skipped without LINKAGE_TEST_POSTGRES_URL)."""
    await test_a_report_becomes_an_item_unsatisfied_reopens_it_and_a_rated_reply_closes_it(pg_stack, tmp_path)


async def test_overdue_nudges_reach_the_office_across_a_restart_and_stop_at_the_reply(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    item = await office(stack, lambda ctx: items.open_item(
        ctx, subject="老旧小区加装电梯进度", department="city_housing", promise="年内完成30部", raised_by=["H002"]))
    sent = await office(stack, lambda ctx: items.send_item(ctx, item.id, due_days=2))
    clock = stack.app.clock
    await stack.app.stop()
    clock.advance(sent.due_at - clock.now() + timedelta(minutes=5))  # the deadline passes while the bot is down
    stack.app = stack.new_app(clock=clock)
    await stack.app.start()
    await stack.app.scheduler.fire_due()
    await stack.settle()
    nudge = await sb.wait_for(pilot.office, lambda m: "⏰" in (m.text or "") and "老旧小区加装电梯进度" in m.text,
                              TIMEOUT)
    assert "市住建委" in nudge.text and shown(sent.due_at) in nudge.text
    assert (await stack.row("timers", key=f"oversight:{item.id}:due:1:1")).status == "done"
    assert (await stack.row("timers", key=f"oversight:{item.id}:due:1:2")).status == "pending"
    await stack.app.scheduler.fire_due()  # firing again sends nothing more
    await stack.settle()
    assert len([m for m in await sb.messages(pilot.office) if "⏰" in (m.text or "")]) == 1
    await office(stack, lambda ctx: items.record_reply(ctx, item.id, text="已完成12部。"))
    assert (await stack.row("timers", key=f"oversight:{item.id}:due:1:2")).status == "skipped"


async def test_roles_and_bad_input_are_refused_and_change_nothing(stack):
    pilot = await stack.pilot()
    staff = await stack.world.join("S001", "周文清")
    clerk, plain = await member(stack, "S001"), await member(stack, "H001")
    admin = await member(stack, "O001")

    async def refused_op(work, words: str):
        with pytest.raises(OversightError, match=words):
            await office(stack, work)

    base = dict(subject="社区养老助餐点覆盖", department="city_civil_affairs", promise="每个街道至少一个助餐点")
    await refused_op(lambda ctx: items.open_item(ctx, **base, by=plain), "only an office admin")
    await refused_op(lambda ctx: items.open_item(ctx, **base, committee="economic", by=clerk), "only an office admin")
    await refused_op(lambda ctx: items.open_item(ctx, **{**base, "department": "nowhere"}), "no active department")
    await refused_op(lambda ctx: items.open_item(ctx, **base, report="SQ-2026-99999"), "no report")
    await refused_op(lambda ctx: items.open_item(ctx, **{**base, "subject": "  "}), "subject is needed")
    await refused_op(lambda ctx: items.open_item(ctx, **base, raised_by=["Z999"]), "no member")
    await refused_op(lambda ctx: items.open_item(ctx, **base, due_days=0), "1 to 120")
    assert await stack.count("oversight_items") == 0

    own = await office(stack, lambda ctx: items.open_item(ctx, **base, committee="social_legal", raised_by=["H001"],
                                                          by=clerk))
    await refused_op(lambda ctx: items.record_reply(ctx, own.id, text="答复"), "send it to the department first")
    await refused_op(lambda ctx: items.close_item(ctx, own.id), "needs --reason")
    await refused_op(lambda ctx: items.send_item(ctx, own.id, by=plain), "only an office admin")
    await refused_op(lambda ctx: items.send_item(ctx, 999), "no oversight item #999")
    soon = stack.app.clock.now() + timedelta(days=1)
    await refused_op(lambda ctx: inspections.create_inspection(
        ctx, [own.id], title="视察", start=soon, end=soon + timedelta(hours=1), place="某处", by=plain), "only an office")
    await refused_op(lambda ctx: inspections.link_session(ctx, [own.id], 999), "no session #999")
    await refused_op(lambda ctx: inspections.create_inspection(
        ctx, [], title="视察", start=soon, end=soon + timedelta(hours=1), place="某处"), "at least one")
    assert await stack.count("study_sessions") == 0
    await office(stack, lambda ctx: items.send_item(ctx, own.id, by=clerk))  # the committee's own staff
    await office(stack, lambda ctx: items.record_reply(ctx, own.id, text="正在推进。", by=admin))
    assert (await stack.row("oversight_items", id=own.id)).status == "department_replied"

    # forged, malformed and strangers' presses
    await latest(stack, pilot.hongqiao, lambda m: f"ovr:{own.id}:1:s" in m.button_data.values())
    assert await refused(stack, pilot.city, f"ovr:{own.id}:1:s") == zh.plain(NOT_YOURS)
    assert await refused(stack, pilot.hongqiao, "ovr:999999:1:s") == zh.plain(NOT_YOURS)
    assert await refused(stack, pilot.hongqiao, f"ovr:{own.id}:1:x") == zh.plain(INVALID)
    assert await refused(stack, pilot.hongqiao, "ovr:abc") == zh.plain(INVALID)
    assert await refused(stack, pilot.hongqiao, f"ovf:{own.id}:1") == zh.plain(NOT_PARTICIPANT)
    stranger = await stack.sb.user("陌生人")
    await stack.sb.send(stranger, "/oversight")
    await stack.sb.wait_for(stranger, None, TIMEOUT)
    await stack.sb.press(stranger, (await stack.sb.messages(stranger))[-1], data=f"ovr:{own.id}:1:u", forge=True)
    await stack.settle()
    assert await stack.count("oversight_ratings") == 0
    assert (await stack.row("oversight_items", id=own.id)).status == "department_replied"
    assert staff  # the committee's staff joined the bot

    # the command line: a clean refusal, and the listing and the item
    database = stack.app.settings.database
    runner = CliRunner()
    bad = await asyncio.to_thread(runner.invoke, cli_main, ["--database", database, "oversight", "open", "--subject",
                                                            "x", "--department", "nowhere", "--promise", "y"])
    assert bad.exit_code != 0 and "no active department" in bad.output
    listing = await asyncio.to_thread(runner.invoke, cli_main, ["--database", database, "oversight", "list"])
    assert listing.exit_code == 0 and "社区养老助餐点覆盖" in listing.output
    shown_ = await asyncio.to_thread(runner.invoke, cli_main, ["--database", database, "oversight", "show",
                                                               str(own.id)])
    assert "正在推进。" in shown_.output and "opened -> sent_to_department" in shown_.output.replace("- ", "")


async def test_an_inspection_is_a_session_with_capacity_and_its_participants_attach_findings(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    item = await office(stack, lambda ctx: items.open_item(
        ctx, subject="海河沿岸步道照明", department="city_housing", promise="新增路灯120盏", raised_by=["C001"]))
    start = stack.app.clock.now() + timedelta(hours=1)
    session = await office(stack, lambda ctx: inspections.create_inspection(
        ctx, [item.id], title="海河沿岸步道照明视察", start=start, end=start + timedelta(hours=2),
        place="海河东路", audience_spec="list:H001,C001", capacity=1))
    assert session.kind == "inspection"
    assert await stack.count("oversight_inspections", session_id=session.id) == 1
    for user in (pilot.hongqiao, pilot.city):  # the study calendar's card: sign-up with capacity
        card = await latest(stack, user, lambda m: f"st:a:{session.id}" in m.button_data.values())
        await sb.press(user, card, data=f"st:a:{session.id}")
        await stack.settle()
    assert (await stack.row("study_rsvps", session_id=session.id, member_id=(await member(stack, "H001")).id)
            ).status == "attending"
    assert (await stack.row("study_rsvps", session_id=session.id, member_id=(await member(stack, "C001")).id)
            ).status == "waiting"
    stack.app.clock.advance(timedelta(minutes=50))  # check-in is open
    await sb.send(pilot.hongqiao, f"/checkin {session.checkin_code}")
    await sb.wait_for(pilot.hongqiao, "✅", TIMEOUT)

    stack.app.clock.advance(timedelta(hours=3))  # the inspection is over: participants are asked for findings
    await stack.app.scheduler.fire_due()
    await stack.settle()
    ask = await latest(stack, pilot.hongqiao, lambda m: f"ovf:{item.id}:{session.id}" in m.button_data.values())
    assert not any(f"ovf:{item.id}:{session.id}" in m.button_data.values() for m in await sb.messages(pilot.city))
    assert await refused(stack, pilot.city, f"ovf:{item.id}:{session.id}") == zh.plain(NOT_PARTICIPANT)
    await sb.press(pilot.hongqiao, ask, data=f"ovf:{item.id}:{session.id}")
    await sb.wait_for(pilot.hongqiao, lambda m: "/cancel" in (m.text or ""), TIMEOUT)
    await sb.send(pilot.hongqiao, "步道北段仍有约300米无照明。")
    await sb.wait_for(pilot.hongqiao, zh("✅ Thank you: your finding is attached to the oversight item."), TIMEOUT)
    async with stack.app.db.read() as conn:
        found = await store.findings(conn, item.id)
    assert [(f.roster_id, f.text) for f in found] == [("H001", "步道北段仍有约300米无照明。")]

    # /oversight shows the inspected item; points and the duty record count the inspection and the finding
    await sb.send(pilot.hongqiao, "/oversight")
    await sb.wait_for(pilot.hongqiao, lambda m: "海河沿岸步道照明" in (m.text or "") and "海河沿岸步道照明视察" in m.text,
                      TIMEOUT)
    hongqiao = await member(stack, "H001")
    now = stack.app.clock.now()
    async with stack.app.db.transaction() as conn:
        await ledger.collect(conn, REGISTRY, now)
        keys = sorted(e.rule_key for e in await points_store.of_member(conn, hongqiao.id))
        sections = {s.key: s for s in await views.record_part(conn, hongqiao, now - timedelta(days=1),
                                                               now + timedelta(days=1), "zh")}
    assert keys == ["oversight.finding", "oversight.inspection", "study.attended"]
    assert sections["oversight"].rows[0][1] == "海河沿岸步道照明"
    assert sections["oversight_findings"].rows[0][2] == "步道北段仍有约300米无照明。"
    path = stack.app.settings.database + ".xlsx"
    async with stack.app.db.read() as conn:
        await write_export(conn, local(now).year, path)
    visits = [[c.value for c in r] for r in load_workbook(path)[zh.plain("Inspections")].iter_rows()]
    assert [session.id, "海河沿岸步道照明视察"] == visits[1][1:3]
    assert visits[2][4:6] == ["H001 赵丽娟", "步道北段仍有约300米无照明。"]


@pytest.mark.tier("http")
async def test_a_raiser_rates_a_reply_not_satisfied_over_http(stack):
    """The rating card, its press and the reason through the real framework and HTTP."""
    pilot = await stack.pilot()
    item = await office(stack, lambda ctx: items.open_item(
        ctx, subject="公交站台遮阳棚", department="city_transport", promise="年内加装50处", raised_by=["H001"]))
    await office(stack, lambda ctx: items.send_item(ctx, item.id))
    await office(stack, lambda ctx: items.record_reply(ctx, item.id, text="已加装20处。"))
    await rate(stack, pilot.hongqiao, item.id, 1, "u", "数量不足。", "重新")
    row = await stack.row("oversight_items", id=item.id)
    assert row.status == "reopened" and row.round == 2
    async with stack.app.db.read() as conn:
        assert [t.key for t in await timers.pending_with_prefix(conn, f"oversight:{item.id}:due:2:")] == \
            [f"oversight:{item.id}:due:2:1"]


async def test_the_office_runs_an_item_from_chat_and_a_statement_can_be_its_source(stack):
    """An item from a consultation statement (its author rates); the office admin sends it, records
    the reply and closes it with /oversight's buttons; nobody else can press them."""
    from handlers.consultation import meetings
    from handlers.oversight.office import ONLY_RUNNERS
    from storage import consultation
    pilot = await stack.pilot()
    sb = stack.sb
    now = stack.app.clock.now()
    meeting = await office(stack, lambda ctx: meetings.add_meeting(
        ctx, title="智慧养老服务专题协商会", theme="推进智慧养老", committee="social_legal",
        starts=now + timedelta(days=2), ends=now + timedelta(days=2, hours=2), audience_spec="all"))
    hongqiao = await member(stack, "H001")
    async with stack.app.db.transaction() as conn:
        statement = await consultation.add_statement(conn, consultation_id=meeting.id, member_id=hongqiao.id,
                                                     title="嵌入式养老服务站", text="建议推广。", status="accepted",
                                                     created_at=now)
    item = await office(stack, lambda ctx: items.open_item(
        ctx, subject="嵌入式养老服务站推广", department="city_civil_affairs", promise="明年每区建成3个",
        statement=statement, committee="social_legal"))
    assert item.raisers == [hongqiao.id] and item.source_kind == "statement"

    async def oversight_buttons(user):
        await sb.send(user, "/oversight")
        return await sb.wait_for(user, lambda m: "民主监督" in (m.text or ""), TIMEOUT)

    listing = await oversight_buttons(pilot.office)
    assert f"ovo:send:{item.id}" in listing.button_data.values()
    assert await refused(stack, pilot.city, f"ovo:send:{item.id}") == zh.plain(ONLY_RUNNERS)
    assert (await stack.row("oversight_items", id=item.id)).status == "opened"
    await sb.press(pilot.office, listing, data=f"ovo:send:{item.id}")
    await sb.wait_for(pilot.office, "📤", TIMEOUT)
    listing = await oversight_buttons(pilot.office)
    await sb.press(pilot.office, listing, data=f"ovo:reply:{item.id}")
    await sb.wait_for(pilot.office, lambda m: "/cancel" in (m.text or ""), TIMEOUT)
    await sb.send(pilot.office, "长" * 3501)  # over the limit: refused, nothing recorded, the step still waits
    await sb.wait_for(pilot.office, lambda m: "3501" in (m.text or ""), TIMEOUT)
    assert await stack.count("oversight_replies") == 0
    await sb.send(pilot.office, "已完成选址，明年建成。")
    await sb.wait_for(pilot.office, "📝", TIMEOUT)
    await rate(stack, pilot.hongqiao, item.id, 1, "s", "进展明确。", "已记录")
    listing = await oversight_buttons(pilot.office)
    await sb.press(pilot.office, listing, data=f"ovo:close:{item.id}")
    await sb.wait_for(pilot.office, "✅", TIMEOUT)
    async with stack.app.db.read() as conn:
        steps = [(s.status_to, s.actor) for s in await store.steps(conn, item.id)]
    admin = await member(stack, "O001")
    assert steps == [("opened", "cli"), ("sent_to_department", f"member:{admin.id}"),
                     ("department_replied", f"member:{admin.id}"), ("rated", f"member:{hongqiao.id}"),
                     ("closed", f"member:{admin.id}")]
    assert await refused(stack, pilot.office, f"ovo:close:{item.id}") == zh.plain("This item has moved on: see /oversight.")
