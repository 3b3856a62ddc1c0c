"""远程协商 end to end: a consultation meeting announced with a main venue and a Hongqiao
sub-venue; RSVPs that name the venue (and change); written statements through the flow (too
long, late, returned with a note, accepted); requests to speak; reminders 48 h and 2 h before
across a restart; check-in by a venue's code through the study's /checkin and by the card's
button; live comments reaching the host in order and pushed to the meeting's group as their
authors chose; the 发言摘登 and the workbook; a department's response; roles × actions and
forged buttons. The organisers' command-line work goes through the same functions the CLI calls."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta

import openpyxl
from click.testing import CliRunner
from docx import Document

from bot.cli import main as cli_main
from bot.scheduler import Scheduler
from handlers.consultation import export, meetings, views
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import local_day
from handlers.features import REGISTRY
from storage import consultation as store

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30
MAIN = "市政协机关三楼会议室|https://meet.example.cn/main"
HONGQIAO = "红桥区政协|红桥区政协二楼会议室|https://meet.example.cn/hongqiao"


async def office(stack, work):
    """The organisers acting like the command line: one transaction on the bot's database."""
    async with stack.app.db.transaction() as conn:
        result = await work(Ctx.offline(conn, stack.app.clock.now(), stack.app.scheduler.config, REGISTRY))
    stack.app.sender.wake.set()
    return result


async def read(stack, work):
    async with stack.app.db.read() as conn:
        return await work(conn)


async def meeting(stack, *, audience="list:C001,H001", starts_in=timedelta(hours=72), committee="social_legal",
                  statements_in=None, title="智慧养老服务专题协商会", host=None):
    now = stack.app.clock.now()
    m = await office(stack, lambda ctx: meetings.add_meeting(
        ctx, title=title, theme="推进智慧养老服务体系建设", committee=committee, starts=now + starts_in,
        ends=now + starts_in + timedelta(hours=2), audience_spec=audience, host=host,
        statements_by=now + statements_in if statements_in else None))
    await office(stack, lambda ctx: meetings.set_venues(ctx, m.id, main=MAIN, subs=[HONGQIAO]))
    await office(stack, lambda ctx: meetings.announce(ctx, m.id))
    return m


async def venues(stack, m):
    main, hongqiao = await read(stack, lambda conn: store.venues(conn, m.id))
    return main, hongqiao


async def card_of(stack, user, m, action="o", *, asked: bool = False):
    """The member's latest card of the meeting that offers ``action`` (as it is now); ``asked``:
    the one the member's last command is answered with."""
    if asked:
        return await stack.sb.wait_for(user, lambda msg: f"kx:{action}:{m.id}" in msg.button_data.values(), TIMEOUT)
    await stack.settle()
    found = [msg for msg in await stack.sb.messages(user) if f"kx:{action}:{m.id}" in msg.button_data.values()]
    return found[-1]


async def refusal(stack, user, data: str, message=None) -> str:
    """The answer to a press of ``data`` (forged: on any bot message in the user's chat)."""
    if message is None:
        message = next(msg for msg in await stack.sb.messages(user) if msg.from_bot)
    return (await stack.sb.callback_answer(await stack.sb.press(user, message, data=data, forge=True)))["text"]


async def rsvp(stack, m, roster_id: str):
    member = (await stack.row("members", roster_id=roster_id)).id
    return await read(stack, lambda conn: store.rsvp(conn, m.id, member))


def seen(msgid: str, **values) -> str:
    """The Chinese text as the member sees it (HTML parsed)."""
    return html.unescape(re.sub(r"<[^>]+>", "", zh(msgid, **values)))


def head(msgid: str, **values) -> str:
    """The Chinese text up to its {time}: what a check does not depend on the minute for."""
    return zh.plain(msgid, time="\x00", **values).split("\x00")[0]


async def texts(stack, user, needle: str) -> list[str]:
    await stack.settle()
    return [msg.text for msg in await stack.sb.messages(user) if msg.from_bot and needle in (msg.text or "")]


async def test_announce_rsvp_by_venue_change_it_and_the_organiser_sees_counts(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    staff = await stack.world.join("S001", "周文清")
    m = await meeting(stack)
    assert m.host_id == (await stack.row("members", roster_id="S001")).id  # the committee's staff hosts by default
    main, hongqiao = await venues(stack, m)
    assert main.checkin_code != hongqiao.checkin_code and len(main.checkin_code) == 8

    card = await card_of(stack, pilot.city, m)
    for shown in ("智慧养老服务专题协商会", "市政协机关三楼会议室", "红桥区政协二楼会议室", "https://meet.example.cn/hongqiao"):
        assert shown in card.text
    await sb.press(pilot.city, card, data=f"kx:v:{m.id}:{hongqiao.id}")
    edited = await sb.wait_for(pilot.city, lambda msg: msg.id == card.id and "✓ 红桥区政协" in msg.buttons[1][0], TIMEOUT)
    assert zh("attending at {venue}", venue="红桥区政协") in edited.text
    assert (await rsvp(stack, m, "C001")).venue_id == hongqiao.id
    await sb.press(pilot.city, edited, data=f"kx:o:{m.id}")  # changes their mind: online after all
    await stack.settle()
    changed = await rsvp(stack, m, "C001")
    assert (changed.answer, changed.venue_id) == ("online", None)
    await sb.press(pilot.hongqiao, await card_of(stack, pilot.hongqiao, m), data=f"kx:v:{m.id}:{main.id}")
    await stack.settle()

    await sb.send(staff, "/consultations")
    counts = await sb.wait_for(staff, "📊", TIMEOUT)
    assert zh("Invited {invited}: at the venues {venues}; online {online}; cannot attend {absent}; not answered {open}",
              invited=2, venues=f"{zh.plain('Main venue (主会场)')} 1, 红桥区政协 0", online=1, absent=0, open=0) in counts.text
    await sb.send(pilot.city, "/consultations")  # a member sees the card, not the counts
    await sb.wait_for(pilot.city, lambda msg: f"kx:o:{m.id}" in msg.button_data.values(), TIMEOUT)
    assert not await texts(stack, pilot.city, "📊")


async def test_statements_too_long_returned_with_a_note_accepted_and_late(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    staff = await stack.world.join("S001", "周文清")
    m = await meeting(stack, statements_in=timedelta(hours=24))
    card = await card_of(stack, pilot.city, m)

    await sb.press(pilot.city, card, data=f"kx:s:{m.id}")
    await sb.wait_for(pilot.city, "智慧养老服务专题协商会", TIMEOUT)
    await sb.send(pilot.city, "加快社区嵌入式养老服务设施建设")
    await sb.wait_for(pilot.city, seen("Now send the text of your statement (at most {limit} characters).", limit=2000),
                      TIMEOUT)
    await sb.send(pilot.city, "养" * 2100)  # over the limit: a polite answer, nothing kept
    await sb.wait_for(pilot.city, "2100", TIMEOUT)
    await sb.send(pilot.city, "建议在每个街道建设一处嵌入式养老服务综合体。\n同时推进智慧养老平台接入。")
    await sb.wait_for(pilot.city, lambda msg: "kf:file:skip" in msg.button_data.values(), TIMEOUT)
    await sb.send_document(pilot.city, "全文.pdf", mime_type="application/pdf", content=b"%PDF-1.4 statement")
    preview = await sb.wait_for(pilot.city, lambda msg: "kf:confirm:send" in msg.button_data.values(), TIMEOUT)
    assert "全文.pdf" in preview.text and "嵌入式养老服务综合体" in preview.text
    await sb.press(pilot.city, preview, data="kf:confirm:send")
    await sb.wait_for(pilot.city, seen("📝 Statement #{id} received. The organisers will accept it or return it with a "
                                     "note; I will tell you.", id=1), TIMEOUT)

    copy = await sb.wait_for(staff, lambda msg: "ko:r:1" in msg.button_data.values(), TIMEOUT)
    assert "王晓明" in copy.text and "加快社区嵌入式养老服务设施建设" in copy.text
    await sb.wait_for(staff, lambda msg: msg.kind == "document", TIMEOUT)  # the attachment comes with it
    assert await refusal(stack, pilot.city, "ko:a:1") == zh.plain("Only the organisers of this meeting can do that.")
    await sb.press(staff, copy, data="ko:r:1")
    await sb.wait_for(staff, "加快社区嵌入式养老服务设施建设", TIMEOUT)
    await sb.send(staff, "请补充具体的建设数量和资金来源。")
    await sb.wait_for(staff, seen("Returned with your note; the author was told."), TIMEOUT)
    returned = await sb.wait_for(pilot.city, "请补充具体的建设数量和资金来源。", TIMEOUT)
    assert "加快社区嵌入式养老服务设施建设" in returned.text
    assert (await stack.row("consultation_statements", id=1)).status == "returned"
    again = await refusal(stack, staff, "ko:a:1", copy)  # the returned one cannot be accepted from a stale copy
    assert again == zh.plain("This was already decided.")

    await sb.press(pilot.city, card, data=f"kx:s:{m.id}")  # the revised statement, no attachment
    await sb.wait_for(pilot.city, "智慧养老服务专题协商会", TIMEOUT)
    await sb.send(pilot.city, "新建嵌入式养老服务综合体20处")
    await sb.send(pilot.city, "建议三年内新建20处，资金由市区两级财政分担。")
    skip = await sb.wait_for(pilot.city, lambda msg: "kf:file:skip" in msg.button_data.values(), TIMEOUT)
    await sb.press(pilot.city, skip, data="kf:file:skip")
    await sb.press(pilot.city, await sb.wait_for(pilot.city, lambda msg: "kf:confirm:send" in msg.button_data.values(),
                                                 TIMEOUT), data="kf:confirm:send")
    copy = await sb.wait_for(staff, lambda msg: "ko:a:2" in msg.button_data.values(), TIMEOUT)
    answer = await sb.callback_answer(await sb.press(staff, copy, data="ko:a:2"))
    assert answer["text"] == zh.plain("Done: the member was told.")
    await sb.wait_for(pilot.city, seen("✅ Your written statement <b>{title}</b> for {meeting} was accepted.",
                                     title="新建嵌入式养老服务综合体20处", meeting=m.title), TIMEOUT)
    accepted = await stack.row("consultation_statements", id=2)
    assert (accepted.status, accepted.position) == ("accepted", 1)
    assert await refusal(stack, pilot.city, "ko:p:2") == zh.plain("Only the organisers of this meeting can do that.")
    await stack.settle()
    copy = await sb.message(staff, copy.id)  # the accepted copy now offers 🎤
    await sb.press(staff, copy, data="ko:p:2")  # the organiser marks the speaker in chat
    await sb.wait_for(pilot.city, "🎤", TIMEOUT)
    assert (await stack.row("consultation_statements", id=2)).in_person
    first = await sb.callback_answer(await sb.press(staff, await sb.message(staff, copy.id), data="ko:u:2"))
    assert first["text"] == zh.plain("This statement is already the first.")

    stack.app.clock.advance(timedelta(hours=25))  # past the deadline: a late statement is refused politely
    late = await sb.callback_answer(await sb.press(pilot.hongqiao, await card_of(stack, pilot.hongqiao, m),
                                                   data=f"kx:s:{m.id}"))
    assert late["show_alert"] and "智慧养老服务专题协商会" in late["text"]
    assert await stack.count("conversations") == 0 and await stack.count("consultation_statements") == 2


async def test_a_request_to_speak_and_reminders_48h_and_2h_across_a_restart(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    staff = await stack.world.join("S001", "周文清")
    m = await meeting(stack, starts_in=timedelta(hours=50), audience="list:C001,H001,C003")
    main, _ = await venues(stack, m)
    await sb.press(pilot.city, await card_of(stack, pilot.city, m), data=f"kx:v:{m.id}:{main.id}")
    card = await card_of(stack, pilot.hongqiao, m)
    await sb.press(pilot.hongqiao, card, data=f"kx:o:{m.id}")  # C003 does not answer: no reminder

    await sb.press(pilot.hongqiao, card, data=f"kx:w:{m.id}")
    await sb.wait_for(pilot.hongqiao, "🙋", TIMEOUT)
    await sb.send(pilot.hongqiao, "社区养老服务站的运营补贴")
    await sb.wait_for(pilot.hongqiao, seen("🙋 Your request to speak was sent to the organisers; I will tell you their "
                                         "answer."), TIMEOUT)
    copy = await sb.wait_for(staff, lambda msg: "ko:sa:1" in msg.button_data.values(), TIMEOUT)
    assert "社区养老服务站的运营补贴" in copy.text and "赵丽娟" in copy.text
    await sb.press(staff, copy, data="ko:sa:1")
    await sb.wait_for(pilot.hongqiao, seen("🎤 Your request to speak at {meeting} was accepted.", meeting=m.title), TIMEOUT)

    clock = stack.app.clock
    clock.advance(timedelta(hours=2, minutes=1))  # 48 h before
    await stack.app.scheduler.fire_due()
    first = await sb.wait_for(pilot.city, "⏰", TIMEOUT)
    assert "市政协机关三楼会议室" in first.text
    online = await sb.wait_for(pilot.hongqiao, "⏰", TIMEOUT)
    assert "https://meet.example.cn/main" in online.text
    await stack.settle()

    await stack.app.stop()
    clock.advance(timedelta(hours=46))  # the 2-hour reminder falls due while the bot is down
    stack.app = stack.new_app(clock=clock)
    await stack.app.start()
    await stack.app.scheduler.fire_due()
    extra = Scheduler(stack.app.db, clock, stack.app.scheduler.config, asyncio.Event())
    await extra.start()  # a second scheduler on the same database sends nothing more
    await extra.fire_due()
    await extra.stop()
    for user in (pilot.city, pilot.hongqiao):
        assert len(await texts(stack, user, "⏰")) == 2, user.first_name
    assert not await texts(stack, pilot.topic_liaison, "⏰")
    for minutes in (2880, 120):
        assert (await stack.row("timers", key=f"consult:{m.id}:remind:{minutes}")).status == "done"


async def test_check_in_by_code_and_button_and_live_comments_to_the_host_and_the_group(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    staff = await stack.world.join("S001", "周文清")
    m = await meeting(stack, starts_in=timedelta(hours=1))
    main, hongqiao = await venues(stack, m)
    room = await stack.world.bound_group(meetings.room_name(m.id), "room", "智慧养老专题协商会议群", pilot.office,
                                         [staff])

    await sb.send(pilot.city, f"/checkin {hongqiao.checkin_code}")  # too early
    await sb.wait_for(pilot.city, head("Check-in for {title} opens 30 minutes before the start ({time}).",
                                       title=m.title), TIMEOUT)
    stack.app.clock.advance(timedelta(minutes=40))
    await sb.send(pilot.city, f"/checkin {hongqiao.checkin_code}")
    await sb.wait_for(pilot.city, seen("✅ Checked in to <b>{title}</b> at {venue}. Thank you!", title=m.title,
                                     venue="红桥区政协"), TIMEOUT)
    await sb.send(pilot.city, f"/checkin {main.checkin_code}")
    await sb.wait_for(pilot.city, head("You already checked in to {title} at {time}.", title=m.title), TIMEOUT)
    await sb.send(pilot.city, "/checkin 12345678")  # nobody's code: the study calendar's answer
    await sb.wait_for(pilot.city, seen("This check-in code is not valid. Please check it and try again."), TIMEOUT)
    await sb.send(pilot.topic_liaison, f"/checkin {main.checkin_code}")  # not invited
    await sb.wait_for(pilot.topic_liaison, seen("You were not invited to {title}, so you cannot check in to it.",
                                              title=m.title), TIMEOUT)
    checked = await stack.row("consultation_checkins", member_id=(await stack.row("members", roster_id="C001")).id)
    assert checked.venue_id == hongqiao.id

    await sb.send(pilot.hongqiao, "/consultations")  # the card of the moment: 签到 and 在线留言
    card = await card_of(stack, pilot.hongqiao, m, "c", asked=True)
    await sb.press(pilot.hongqiao, card, data=f"kx:c:{m.id}")
    await sb.wait_for(pilot.hongqiao, lambda msg: msg.id == card.id and f"kx:c:{m.id}" not in msg.button_data.values(),
                      TIMEOUT)
    assert await stack.count("consultation_checkins") == 2

    await sb.send(pilot.city, "/consultations")
    city_card = await card_of(stack, pilot.city, m, "m", asked=True)
    for user, message, text, sign in ((pilot.city, city_card, "建议把助餐点纳入十五分钟生活圈。", "named"),
                                      (pilot.hongqiao, card, "老人不会用手机预约，需要保留电话渠道。", "alias")):
        await sb.press(user, message, data=f"kx:m:{m.id}")
        await sb.wait_for(user, "💬", TIMEOUT)
        await sb.send(user, text)
        await sb.press(user, await sb.wait_for(user, lambda msg: f"kf:name:{sign}" in msg.button_data.values(),
                                               TIMEOUT), data=f"kf:name:{sign}")
        await sb.wait_for(user, "💬", TIMEOUT)
    await stack.settle()
    to_host = [msg for msg in await sb.messages(staff) if msg.from_bot and any(
        d.startswith("kp:") for d in msg.button_data.values())]
    assert [msg.button_data and list(msg.button_data.values())[0] for msg in to_host] == ["kp:1", "kp:2"]
    assert "#1" in to_host[0].text and "十五分钟生活圈" in to_host[0].text and "#2" in to_host[1].text
    assert "赵丽娟" in to_host[1].text  # the host is the committee's: the name, with what the group will see

    assert await refusal(stack, pilot.city, "kp:1") == zh.plain("Only the meeting's host can push a comment to the group.")
    for message in to_host:
        await sb.press(staff, message, data=list(message.button_data.values())[0])
    await sb.wait_for(room.chat, "十五分钟生活圈", TIMEOUT)
    pushed = await sb.wait_for(room.chat, "需要保留电话渠道", TIMEOUT)
    assert "赵丽娟" not in pushed.text and "代号" in pushed.text  # signed with the alias, as she chose
    assert "王晓明" in (await texts(stack, room.chat, "十五分钟生活圈"))[0]
    assert await refusal(stack, staff, "kp:1") == zh.plain("This comment was already pushed to the group.")

    stack.app.clock.advance(timedelta(hours=3))  # the meeting is over
    closed = await sb.callback_answer(await sb.press(pilot.city, city_card, data=f"kx:m:{m.id}"))
    assert closed["show_alert"] and closed["text"].startswith(head(
        "Live comments are open only while the meeting is on ({time})."))


async def test_a_host_from_outside_the_committee_sees_an_alias_where_the_author_chose_one(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    m = await meeting(stack, starts_in=timedelta(minutes=20), host="C004")  # a member, not the committee's staff
    await sb.send(pilot.hongqiao, "/consultations")
    card = await card_of(stack, pilot.hongqiao, m, "m", asked=True)
    await sb.press(pilot.hongqiao, card, data=f"kx:m:{m.id}")
    await sb.wait_for(pilot.hongqiao, "💬", TIMEOUT)
    await sb.send(pilot.hongqiao, "希望会后公布部门回应。")
    await world_step(stack, pilot.hongqiao, "kf:name:alias")
    to_host = await sb.wait_for(pilot.other_liaison, "希望会后公布部门回应。", TIMEOUT)
    assert "赵丽娟" not in to_host.text and "代号" in to_host.text


async def world_step(stack, user, data: str) -> None:
    prompt = await stack.sb.wait_for(user, lambda msg: data in msg.button_data.values(), TIMEOUT)
    await stack.sb.press(user, prompt, data=data)


async def _accepted(stack, m, roster_id: str, title: str, text: str) -> int:
    member = (await stack.row("members", roster_id=roster_id)).id
    now = stack.app.clock.now()
    return await office(stack, lambda ctx: store.add_statement(
        ctx.conn, consultation_id=m.id, member_id=member, title=title, text=text, status="accepted",
        in_person=False, created_at=now))


async def test_the_compilation_the_workbook_a_department_response_and_materials(stack, tmp_path):
    pilot = await stack.pilot()
    sb = stack.sb
    staff = await stack.world.join("S001", "周文清")
    m = await meeting(stack, starts_in=timedelta(hours=1))
    main, _ = await venues(stack, m)
    await sb.press(pilot.city, await card_of(stack, pilot.city, m), data=f"kx:v:{m.id}:{main.id}")
    first = await _accepted(stack, m, "C001", "推进智慧助餐", "建议扩大社区助餐点覆盖面。")
    second = await _accepted(stack, m, "H001", "红桥区养老服务实践", "红桥区试点“家门口”养老服务站。")
    await office(stack, lambda ctx: meetings.order(ctx, m.id, [first, second]))
    answer = await refusal(stack, staff, f"ko:u:{second}")  # the organiser moves it up in chat
    assert answer == zh.plain("Recorded.")
    await office(stack, lambda ctx: meetings.speaker(ctx, second))
    await sb.wait_for(pilot.hongqiao, "🎤", TIMEOUT)

    await office(stack, lambda ctx: meetings.respond(ctx, first, department="city_civil_affairs",
                                                     body="市民政局将于明年新增社区助餐点100个。"))
    told = await sb.wait_for(pilot.city, "市民政局将于明年新增社区助餐点100个。", TIMEOUT)
    assert "市民政局" in told.text and "推进智慧助餐" in told.text

    docx = await office(stack, lambda ctx: export.export(ctx, m.id, tmp_path / "发言摘登.docx"))
    paragraphs = [p.text for p in Document(str(docx)).paragraphs]
    headings = [p.text for p in Document(str(docx)).paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["1. 红桥区养老服务实践", "2. 推进智慧助餐", zh.plain("Response of {department}",
                                                                        department="市民政局")]
    assert any("赵丽娟" in p and "红桥区" in p for p in paragraphs)
    assert "建议扩大社区助餐点覆盖面。" in paragraphs and any("智慧养老服务专题协商会" in p for p in paragraphs)

    xlsx = await office(stack, lambda ctx: export.export(ctx, m.id, tmp_path / "协商会.xlsx"))
    book = openpyxl.load_workbook(xlsx)
    statements = list(book.worksheets[0].iter_rows(values_only=True))
    assert [row[5] for row in statements[1:]] == ["红桥区养老服务实践", "推进智慧助餐"]
    assert any(row[1] == "王晓明" for row in book.worksheets[1].iter_rows(values_only=True))

    minutes = tmp_path / "会议纪要.pdf"
    minutes.write_bytes(b"%PDF-1.4 minutes")
    assert await office(stack, lambda ctx: meetings.push_file(ctx, m.id, "minutes", minutes)) == 1  # who said they come
    await office(stack, lambda ctx: meetings.push_file(ctx, m.id, "minutes", minutes))  # again: keyed, nothing new
    await sb.wait_for(pilot.city, lambda msg: msg.kind == "document", TIMEOUT)
    assert await stack.count("outbox", method="sendDocument") == 1

    member = await stack.row("members", roster_id="C001")
    now = stack.app.clock.now()
    coming = await read(stack, lambda conn: views.upcoming(conn, member, now, now + timedelta(days=7), "zh", {}))
    assert len(coming) == 1 and m.title in coming[0]
    mine = await read(stack, lambda conn: views.personal_data(conn, member))  # /mydata
    assert [s["title"] for s in mine["consultation_statements"]] == ["推进智慧助餐"]
    assert mine["consultations"][0]["answer"] == "venue"

    stack.app.clock.advance(timedelta(hours=4))  # held: the digest's news and /my show it
    now = stack.app.clock.now()
    news = await read(stack, lambda conn: views.recent(conn, member, now - timedelta(days=7), now, "zh", {}))
    assert zh("· {title}: {statements} written statements, {responses} responses from departments",
              title=m.title, statements=2, responses=1) in news
    await sb.send(pilot.city, "/my")
    mine = await sb.wait_for(pilot.city, seen("<b>Consultation meetings (专题协商会)</b>"), TIMEOUT)
    assert "推进智慧助餐" in mine.text


async def test_roles_times_actions_and_forged_buttons(stack):
    pilot = await stack.pilot()
    staff = await stack.world.join("S001", "周文清")
    ours = await meeting(stack, audience="list:C001,H001")  # social_legal: S001's own committee
    theirs = await meeting(stack, audience="list:C001,H001", committee="economic", title="民营经济专题协商会")
    assert theirs.host_id == (await stack.row("members", roster_id="O001")).id  # no staff: the office hosts
    expected = {"member": zh.plain("Only the organisers of this meeting can do that."),
                "other staff": zh.plain("Only the organisers of this meeting can do that."),
                "own staff": zh.plain("Done: the member was told."), "admin": zh.plain("Done: the member was told.")}
    h001 = (await stack.row("members", roster_id="H001")).id
    cases = [("member", pilot.city, ours), ("other staff", staff, theirs), ("own staff", staff, ours),
             ("admin", pilot.office, theirs)]
    for who, user, m in cases:
        sid = await _accepted(stack, m, "H001", f"{who}的发言", "正文")
        await office(stack, lambda ctx, sid=sid: store.change_statement(ctx.conn, sid, status="submitted"))
        assert await refusal(stack, user, f"ko:a:{sid}") == expected[who], who
        request = await office(stack, lambda ctx, m=m: store.add_speak_request(
            ctx.conn, consultation_id=m.id, member_id=h001, topic="题目", status="pending", created_at=ctx.now))
        assert await refusal(stack, user, f"ko:sd:{request}") == expected[who], who

    invalid = zh.plain("This button is not valid.")
    _, other_venue = await venues(stack, theirs)
    for data in ("ko:a:999", "kx:v:1", f"kx:v:{ours.id}:{other_venue.id}", "kx:o:999", "kx:x:1", "kp:999"):
        assert await refusal(stack, pilot.city, data) == invalid, data
    assert await refusal(stack, pilot.topic_liaison, f"kx:o:{ours.id}") == zh.plain(
        "This meeting is not one you were invited to.")
    assert await refusal(stack, pilot.city, "kf:confirm:send") == zh.plain("This button is no longer valid.")
    assert await stack.count("consultation_rsvps", answer="online") == 0


async def test_the_command_line_runs_a_meeting_through_the_running_bot(stack, tmp_path):
    member = await stack.world.join("H001", "赵丽娟")
    await stack.world.join("S001", "周文清")
    day = local_day(stack.app.clock.now()) + timedelta(days=4)
    runner = CliRunner()

    def linkage(*args: str, ok: bool = True) -> str:
        result = runner.invoke(cli_main, ["--database", stack.app.settings.database, "consultation", *args])
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    out = await asyncio.to_thread(linkage, "add", "--title", "老旧小区改造专题协商会", "--theme", "加快老旧小区改造",
                                  "--committee", "social_legal", "--starts", f"{day} 14:30", "--ends", f"{day} 17:00",
                                  "--audience", "district:hongqiao", "--statements-by", f"{day} 09:00")
    meeting_id = re.search(r"consultation #(\d+) drafted", out)[1]
    assert "PLACE|LINK" in await asyncio.to_thread(linkage, "venues", meeting_id, "--main", "只有地点", ok=False)
    assert "no venues yet" in await asyncio.to_thread(linkage, "announce", meeting_id, ok=False)
    codes = await asyncio.to_thread(linkage, "venues", meeting_id, "--main", MAIN, "--sub", HONGQIAO)
    assert codes.count("check-in code") == 2 and "红桥区政协二楼会议室" in codes
    assert "announced to 1 member" in await asyncio.to_thread(linkage, "announce", meeting_id)
    card = await stack.sb.wait_for(member, lambda msg: f"kx:o:{meeting_id}" in msg.button_data.values(), TIMEOUT)
    assert f"{day} 14:30–17:00" in card.text
    await stack.sb.press(member, card, data=f"kx:o:{meeting_id}")
    await stack.sb.wait_for(member, lambda msg: msg.id == card.id and msg.edits > 0, TIMEOUT)
    assert (await asyncio.to_thread(linkage, "room", meeting_id)).startswith("/bind ")
    shown = await asyncio.to_thread(linkage, "show", meeting_id)
    assert "online 1" in shown and "main 主会场: 0 coming" in shown
    assert "老旧小区改造专题协商会" in await asyncio.to_thread(linkage, "list")
    assert "written:" in await asyncio.to_thread(linkage, "export", meeting_id, "--out", str(tmp_path / "摘登.docx"))


async def test_statements_on_postgres(pg_stack):
    await test_statements_too_long_returned_with_a_note_accepted_and_late(pg_stack)


async def test_check_in_and_live_comments_on_postgres(pg_stack):
    await test_check_in_by_code_and_button_and_live_comments_to_the_host_and_the_group(pg_stack)
