"""调查研究 at work: field visits on the study calendar (arranged in chat or from the command line;
RSVP and check-in are the calendar's), findings (text, photo), the director's progress and steps,
the research paper reaching the participants, the office, the room, the digest, the duty record and
the points."""

from __future__ import annotations

from datetime import timedelta

from handlers.core.i18n import translator
from handlers.core.localtime import local_day
from handlers.features import REGISTRY
from handlers.points import ledger
from handlers.privacy import mydata
from handlers.research import projects, record, views
from handlers.research.common import DIRECTORS_ONLY, GONE, NOT_OPEN
from storage import people
from storage import points as point_store
from storage import research as store
from storage import study as study_store
from tests.test_research import TIMEOUT, TITLE, forged, latest, office, offered, open_project, press, staff

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")


async def test_visits_findings_progress_steps_and_the_paper_reach_everyone(stack):
    pilot = await stack.pilot()
    sb, clerk = stack.sb, await staff(stack)
    project = await open_project(stack)
    for user in (pilot.city, pilot.hongqiao):
        await press(stack, user, f"rs:join:{project.id}")
    await stack.settle()

    # a field visit is a study-calendar session for the participants: RSVP and check-in are the calendar's
    now = stack.app.clock.now()
    session = await office(stack, lambda ctx: projects.add_visit(
        ctx, project.id, title="走访西于庄街道养老服务站", start=now + timedelta(days=1),
        end=now + timedelta(days=1, hours=2), place="西于庄街道养老服务站"))
    assert session.kind == "visit" and session.audience == {"kind": "list", "roster_ids": ["C001", "H001"]}
    card = await offered(stack, pilot.hongqiao, f"st:a:{session.id}")
    assert "调研走访" in card.text
    assert not [m for m in await sb.messages(pilot.port_liaison) if f"st:a:{session.id}" in m.button_data.values()]
    await press(stack, pilot.hongqiao, f"st:a:{session.id}")
    stack.app.clock.advance(timedelta(days=1))
    await sb.send(pilot.hongqiao, f"/checkin {session.checkin_code}")
    await sb.wait_for(pilot.hongqiao, "✅", TIMEOUT)

    # findings: a text, and a photo with its caption; the director gets each
    await sb.send(pilot.hongqiao, "/research")
    await press(stack, pilot.hongqiao, f"rs:finding:{project.id}")
    await sb.wait_for(pilot.hongqiao, "/cancel", TIMEOUT)
    await sb.send(pilot.hongqiao, "服务站缺少专业护理人员。")
    await sb.wait_for(pilot.hongqiao, zh.plain("✅ Finding recorded (#{id}); the project's directors see it.", id=1),
                      TIMEOUT)
    await press(stack, pilot.city, f"rs:finding:{project.id}")
    await sb.wait_for(pilot.city, "/cancel", TIMEOUT)
    await sb.send(pilot.city, "长" * 2001)  # too long: refused, nothing kept
    await sb.wait_for(pilot.city, "2000", TIMEOUT)
    await sb.send_photo(pilot.city, caption="助餐点排队情况")
    await sb.wait_for(pilot.city, zh.plain("✅ Finding recorded (#{id}); the project's directors see it.", id=2),
                      TIMEOUT)
    copy = await latest(stack, clerk, lambda m: "服务站缺少专业护理人员。" in (m.text or ""))
    assert "赵丽娟" in copy.text
    assert await stack.count("research_findings", project_id=project.id) == 2

    # progress: participants, findings, visits attended; a step done from its button
    await sb.send(clerk, "/research")
    await press(stack, clerk, f"rs:progress:{project.id}")
    progress = await sb.wait_for(clerk, "📊", TIMEOUT)
    assert zh.plain("{name}: {findings} findings, {visits} visits attended", name="赵丽娟", findings=1,
                    visits=1) in progress.text
    assert zh.plain("{name}: {findings} findings, {visits} visits attended", name="王晓明", findings=1,
                    visits=0) in progress.text
    async with stack.app.db.read() as conn:
        first = (await store.milestones(conn, project.id))[0]
    for user in (pilot.city, pilot.port_liaison):  # not directors
        assert (await forged(stack, user, f"rsd:{first.id}"))["text"] == zh.plain(DIRECTORS_ONLY)
    assert (await forged(stack, clerk, "rsd:999"))["text"] == zh.plain(GONE)
    assert (await forged(stack, clerk, "rsd:0"))["show_alert"]
    answer = await sb.callback_answer(await sb.press(clerk, progress, data=f"rsd:{first.id}"))
    assert answer["text"] == zh.plain("✓ Done; the participants were told.")
    await sb.wait_for(pilot.hongqiao, lambda m: "✓" in (m.text or "") and "选准调研课题" in m.text, TIMEOUT)
    assert (await forged(stack, clerk, f"rsd:{first.id}"))["text"] == zh.plain("This step is already done.")

    # the paper: a document from the director's chat, to the participants and the office
    assert (await forged(stack, pilot.city, f"rs:paper:{project.id}"))["text"] == zh.plain(DIRECTORS_ONLY)
    await press(stack, clerk, f"rs:paper:{project.id}")
    await sb.wait_for(clerk, "/cancel", TIMEOUT)
    await sb.send(clerk, "没有附件的文字")
    await sb.wait_for(clerk, zh.plain("Please send the paper as a document (PDF, Word …), or /cancel to stop."),
                      TIMEOUT)
    await sb.send_document(clerk, "调研报告.pdf", content=b"%PDF-1.4 report", mime_type="application/pdf",
                           caption="建议建立养老服务站运营补贴机制。")
    await sb.wait_for(clerk, zh.plain("📄 The research paper is on its way to {count} people: the participants and "
                                      "the office.", count=3), TIMEOUT)
    await stack.settle()
    documents = {c["params"].get("chat_id") for c in await sb.calls("sendDocument")}
    assert {pilot.city.id, pilot.hongqiao.id, pilot.office.id} <= documents
    assert pilot.port_liaison.id not in documents
    row = await stack.row("research_projects", id=project.id)
    assert row.status == "reported" and row.report_summary == "建议建立养老服务站运营补贴机制。"
    late = await forged(stack, pilot.port_liaison, f"rs:join:{project.id}")
    assert late["show_alert"] and late["text"] == zh.plain(NOT_OPEN)

    # the digest's news, the duty record, points and /mydata
    async with stack.app.db.transaction() as conn:
        member = await people.by_roster_id(conn, "H001")
        news = await views.recent(conn, member, now, stack.app.clock.now() + timedelta(minutes=1), "zh", {})
        sections = await record.record_part(conn, member, now - timedelta(days=1), now + timedelta(days=30), "zh")
        await ledger.collect(conn, REGISTRY, stack.app.clock.now())
        data = await mydata.collect(conn, member, REGISTRY)
    assert "调研成果" in "".join(news) and TITLE in "".join(news)
    research_rows = sections[0].rows
    assert research_rows and research_rows[0][0] == TITLE and research_rows[0][3:5] == [1, 1] and research_rows[0][5]
    assert [f["text"] for f in data["research_findings"]] == ["服务站缺少专业护理人员。"]
    earned = {(r.rule_key, r.kind) for r in await _ledger(stack, "H001")}
    assert {("research.joined", "earned"), ("research.finding", "earned"), ("research.report", "earned"),
            ("study.attended", "earned")} <= earned


async def _ledger(stack, roster_id):
    from sqlalchemy import select
    async with stack.app.db.read() as conn:
        member = await people.by_roster_id(conn, roster_id)
        return list(await conn.execute(select(point_store.point_entries).where(
            point_store.point_entries.c.member_id == member.id)))


async def test_a_visit_reaches_a_member_who_joins_later_through_the_sessions_list(stack):
    pilot = await stack.pilot()
    project = await open_project(stack)
    await press(stack, pilot.city, f"rs:join:{project.id}")
    await stack.settle()
    now = stack.app.clock.now()
    session = await office(stack, lambda ctx: projects.add_visit(
        ctx, project.id, title="第二次走访", start=now + timedelta(days=2), end=now + timedelta(days=2, hours=1),
        place="丁字沽街道"))
    await press(stack, pilot.hongqiao, f"rs:join:{project.id}")
    await stack.settle()
    async with stack.app.db.read() as conn:
        member = await people.by_roster_id(conn, "H001")
        assert (await study_store.rsvp(conn, session.id, member.id)).status == "invited"


async def test_visits_findings_and_the_paper_on_postgres(pg_stack):
    await test_visits_findings_progress_steps_and_the_paper_reach_everyone(pg_stack)


async def test_the_room_gets_the_findings_and_the_paper_and_the_digest_names_the_steps(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    project = await open_project(stack, steps=(2, 9, 16))
    await press(stack, pilot.hongqiao, f"rs:join:{project.id}")
    key = await office(stack, lambda ctx: projects.room_key(ctx.conn, project.id, ctx.now, hours=48))
    room = await sb.group("调查研究·适老化改造", members=[pilot.hongqiao.id], admins=[pilot.office.id], forum=True)
    thread = await sb.topic(room, "适老化改造")
    await sb.send(pilot.office, f"/bind {key}", chat=room, thread=thread)
    await sb.wait_for(room, "✅", TIMEOUT, thread=thread)
    await press(stack, pilot.hongqiao, f"rs:finding:{project.id}")
    await sb.wait_for(pilot.hongqiao, "/cancel", TIMEOUT)
    await sb.send(pilot.hongqiao, "楼道扶手普遍缺失。")
    posted = await sb.wait_for(room, "楼道扶手普遍缺失。", TIMEOUT, thread=thread)
    assert "赵丽娟" in posted.text and TITLE in posted.text
    async with stack.app.db.read() as conn:
        member = await people.by_roster_id(conn, "H001")
        now = stack.app.clock.now()
        coming = await views.upcoming(conn, member, now, now + timedelta(days=7), "zh", {})
        others = await views.upcoming(conn, await people.by_roster_id(conn, "C001"), now, now + timedelta(days=7),
                                      "zh", {})
    assert len(coming) == 1 and "选准调研课题" in coming[0] and TITLE in coming[0]
    assert others == []  # not a participant
    await office(stack, lambda ctx: projects.deliver_paper(ctx, project.id, file_id="paper-file-id", name="调研报告.pdf",
                                                          summary="建议加装扶手。"))
    await stack.settle()
    in_room = [c for c in await sb.calls("sendDocument") if c["params"].get("chat_id") == room.id]
    assert in_room and "调研报告" in in_room[0]["params"].get("caption", "")


async def test_the_director_arranges_a_field_visit_in_chat(stack):
    pilot = await stack.pilot()
    sb, clerk = stack.sb, await staff(stack)
    project = await open_project(stack)
    await sb.send(clerk, "/research")
    await press(stack, clerk, f"rs:progress:{project.id}")
    assert (await forged(stack, pilot.city, f"rs:visit:{project.id}"))["text"] == zh.plain(DIRECTORS_ONLY)
    await press(stack, clerk, f"rs:visit:{project.id}")
    await sb.wait_for(clerk, "走访西于庄街道养老服务站", TIMEOUT)
    await sb.send(clerk, "走访丁字沽街道日间照料中心")
    await sb.wait_for(clerk, "09:00-11:30", TIMEOUT)
    day = str(local_day(stack.app.clock.now() + timedelta(days=2)))
    await sb.send(clerk, f"{day} 11:30-09:00")  # the end before the start
    await sb.wait_for(clerk, zh.plain("That is not a time to come with its end after its start. "), TIMEOUT)
    await sb.send(clerk, f"{day} 09:00-11:30")
    await sb.send(clerk, "丁字沽街道日间照料中心")
    await press(stack, clerk, "rsv:confirm:arrange")  # nobody has joined yet: refused, nothing made
    await sb.wait_for(clerk, zh.plain("The visit could not be arranged: nobody has joined yet, the time has passed "
                                      "or the paper is delivered."), TIMEOUT)
    assert await stack.count("research_visits") == 0

    await press(stack, pilot.hongqiao, f"rs:join:{project.id}")
    await press(stack, clerk, f"rs:progress:{project.id}")
    await press(stack, clerk, f"rs:visit:{project.id}")
    for text in ("走访丁字沽街道日间照料中心", f"{day} 09:00-11:30", "丁字沽街道日间照料中心"):
        await sb.send(clerk, text)
        await stack.settle()
    await press(stack, clerk, "rsv:confirm:arrange")
    done = await sb.wait_for(clerk, "🚶", TIMEOUT)
    async with stack.app.db.read() as conn:
        (visit,) = await store.visits(conn, project.id)
    assert visit.checkin_code in done.text and visit.kind == "visit" and visit.place == "丁字沽街道日间照料中心"
    card = await offered(stack, pilot.hongqiao, f"st:a:{visit.id}")
    assert "走访丁字沽街道日间照料中心" in card.text
