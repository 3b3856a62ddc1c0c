"""The console's screens for the committees' work (bot/console/screens/oversight.py, consultation.py)
in-process with aiohttp's test client on the fast stack's database: each form's good and bad input
(the message beside the field, status 400, nothing changed), the scopes (the city office sees
everything, a committee's staff only their committee's items and meetings, a district office
neither), forged ids of another scope, an anonymous author kept anonymous, and that the console and
the command line change the same rows through the same operations."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from aiohttp import FormData
from sqlalchemy import select

from handlers.consultation.terms import STATEMENT_STATUS
from handlers.core.context import Ctx
from handlers.core.errors import Term
from handlers.core.i18n import translator
from handlers.core.localtime import local
from handlers.features import REGISTRY
from handlers.oversight import items
from storage import consultation as consultation_store
from storage import cosign, people
from storage import items as report_store
from tests.test_console import refused_zh, refusal_zh, console, csrf_of, sign_in, text
from tests.test_console_office import linkage

STACK_TIER = "fast"
zh = translator("zh")
SUBJECT = "西于庄街道夜间停车难的整改"
PROMISE = "年底前新增错时共享车位200个"


async def office(stack, work):
    async with stack.app.db.transaction() as conn:
        return await work(Ctx.offline(conn, stack.app.clock.now(), stack.app.scheduler.config, REGISTRY))


async def rows(stack, table: str, **where) -> list:
    from storage.schema import metadata
    t = metadata.tables[table]
    query = select(t).order_by(*t.primary_key.columns)
    for column, value in where.items():
        query = query.where(t.c[column] == value)
    async with stack.app.db.read() as conn:
        return list(await conn.execute(query))


def at(stack, **delta) -> str:
    """A moment from now as a datetime-local field sends it (Asia/Shanghai)."""
    return local(stack.app.clock.now() + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def beside(page: str, field: str, message: str) -> bool:
    """The message is shown beside the form's field (in the paragraph of its input)."""
    paragraph = page.split(f'name="{field}"', 1)[-1].split("</p>", 1)[0]
    return 'class="error"' in paragraph and message in paragraph


async def member_id(stack, roster_id: str) -> int:
    return (await stack.row("members", roster_id=roster_id)).id


# --- oversight ----------------------------------------------------------------------------------

async def test_oversight_open_send_reply_close_with_bad_input_refused_beside_the_field(stack):
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        page = await client.get("/oversight")
        assert page.status == 200 and zh.plain("Open an oversight item") in await text(page)
        csrf = csrf_of(await page.text())
        good = {"csrf": csrf, "subject": SUBJECT, "department": "city_transport", "promise": PROMISE,
                "raised_by": "C001,H001", "committee": "social_legal", "due_days": "10"}
        for field, bad, message in (("subject", "", "需要填写事项名称"),
                                    ("department", "atlantis", refused_zh("there is no active department")),
                                    ("raised_by", "C001,X999", refused_zh("there is no member {ref!r} on the roster")),
                                    ("due_days", "ten", zh.plain("Enter a whole number.")),
                                    ("due_days", "500", refused_zh("the department's time to reply is 1 to {max_due_days}")),
                                    ("report", "SQ-2000-99999", refused_zh("there is no report"))):
            refused = await client.post("/oversight/open", data={**good, field: bad})
            shown = await text(refused)
            assert refused.status == 400 and beside(shown, field, message), (field, shown)
            assert re.search(r'<input name="subject" value="' + (SUBJECT if field != "subject" else ""), shown)
        assert await stack.count("oversight_items") == 0
        opened = await client.post("/oversight/open", data=good, allow_redirects=False)
        assert opened.status == 303
        item_id = int(opened.headers["Location"].rsplit("/", 1)[1])
        page = await text(await client.get(f"/oversight/{item_id}"))
        assert SUBJECT in page and PROMISE in page and "王晓明" in page and zh.plain("opened") in page

        # closing an item nobody rated needs a reason; a reply before it was sent is refused
        refused = await client.post(f"/oversight/{item_id}/close", data={"csrf": csrf, "reason": ""})
        assert refused.status == 400 and refused_zh("closing it needs --reason") in await text(refused)
        refused = await client.post(f"/oversight/{item_id}/reply", data={"csrf": csrf, "text": "已办理。"})
        assert refused.status == 400 and refused_zh("send it to the department first") in await text(refused)
        sent = await client.post(f"/oversight/{item_id}/send", data={"csrf": csrf, "due_days": "5", "reason": "函件已发"},
                                 allow_redirects=False)
        assert sent.status == 303
        empty = await client.post(f"/oversight/{item_id}/reply", data={"csrf": csrf, "text": ""})
        assert empty.status == 400 and await stack.count("oversight_replies") == 0
        form = FormData()
        form.add_field("csrf", csrf)
        form.add_field("text", "已协调开放车位80个。")
        form.add_field("file", b"%PDF-1.4 reply", filename="../办理情况.pdf", content_type="application/pdf")
        replied = await client.post(f"/oversight/{item_id}/reply", data=form, allow_redirects=False)
        assert replied.status == 303
        page = await text(await client.get(f"/oversight/{item_id}"))
        assert "已协调开放车位80个。" in page and "函件已发" in page and zh.plain("the department replied") in page
        assert "办理情况.pdf" in page
        filtered = await text(await client.get("/oversight", params={"status": "closed"}))
        assert SUBJECT not in filtered
        assert zh.plain("Choose a status from the list.") in await text(await client.get("/oversight?status=bogus"))
    office_id = await member_id(stack, "O001")
    row = await stack.row("oversight_items", id=item_id)
    assert row.status == "department_replied" and row.due_days == 5 and row.committee_code == "social_legal"
    steps = await rows(stack, "oversight_steps", item_id=item_id)
    assert {s.actor for s in steps} == {f"console:member:{office_id}"}
    reply = await stack.row("oversight_replies", item_id=item_id)
    assert reply.file_name == "办理情况.pdf" and Path(reply.file_path).read_bytes() == b"%PDF-1.4 reply"
    assert Path(reply.file_path).parent.name == "oversight"  # kept beside the charts, not where the upload said

    # the command line closes the same item; the console shows the step
    code, output = await linkage(stack, "oversight", "close", str(item_id), "--reason", "已按期整改")
    assert code == 0, output
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        page = await text(await client.get(f"/oversight/{item_id}"))
        assert "已按期整改" in page and zh.plain("closed") in page and f"/oversight/{item_id}/send" not in page


async def test_oversight_scope_committee_staff_see_and_change_only_their_committee(stack):
    ours = await office(stack, lambda ctx: items.open_item(ctx, subject="养老服务整改", department="city_civil_affairs",
                                                           promise="增设服务点", committee="social_legal",
                                                           raised_by=["C001"]))
    theirs = await office(stack, lambda ctx: items.open_item(ctx, subject="经济事项", department="city_transport",
                                                             promise="按期办理", committee="economic",
                                                             raised_by=["C001"]))
    office_own = await office(stack, lambda ctx: items.open_item(ctx, subject="办公室事项", department="city_transport",
                                                                 promise="按期办理", raised_by=["C001"]))
    async with console(stack) as client:
        await sign_in(client, stack, "S001")  # 周文清, staff of social_legal
        listing = await text(await client.get("/oversight"))
        assert "养老服务整改" in listing and "经济事项" not in listing and "办公室事项" not in listing
        assert 'name="committee"' not in listing  # opened for their committee, whatever a form says
        csrf = csrf_of(listing)
        for other in (theirs, office_own):
            assert (await client.get(f"/oversight/{other.id}")).status == 404
            forged = await client.post(f"/oversight/{other.id}/send", data={"csrf": csrf})
            assert forged.status == 404
        assert (await stack.row("oversight_items", id=theirs.id)).status == "opened"
        sent = await client.post(f"/oversight/{ours.id}/send", data={"csrf": csrf}, allow_redirects=False)
        assert sent.status == 303
        opened = await client.post("/oversight/open", data={
            "csrf": csrf, "subject": "委员会事项", "department": "city_health", "promise": "按期办理",
            "raised_by": "H001", "committee": "economic"}, allow_redirects=False)
        assert opened.status == 303
        # an inspection for a committee's staff addresses their committee or a list, not everyone
        refused = await client.post(f"/oversight/{ours.id}/inspect", data={
            "csrf": csrf, "title": "养老视察", "start": at(stack, days=3), "end": at(stack, days=3, hours=2),
            "audience": "all"})
        assert refused.status == 400 and "committee:social_legal" in await text(refused)
        assert await stack.count("oversight_inspections") == 0
    made = await stack.row("oversight_items", subject="委员会事项")
    assert made.committee_code == "social_legal"
    assert (await stack.row("oversight_items", id=ours.id)).status == "sent_to_department"
    async with console(stack) as client:
        await sign_in(client, stack, "Q001")  # a district office: oversight is the committees' and the city's
        assert (await client.get("/oversight")).status == 403
        assert 'href="/oversight"' not in await text(await client.get("/audit"))


async def test_oversight_inspection_and_an_anonymous_author_stays_anonymous(stack):
    pilot = await stack.pilot()
    code = await stack.world.submit(pilot.hongqiao, topic="smart_parking", area="city", privacy="anonymous",
                                    observation="西于庄街道夜间停车难。", suggestion="错时共享停车。")
    async with stack.app.db.transaction() as conn:
        report = await report_store.by_code(conn, code)
        city = await people.by_roster_id(conn, "C001")
        await cosign.sign_up(conn, report.id, city.id, stack.app.clock.now())
    item = await office(stack, lambda ctx: items.open_item(ctx, subject=SUBJECT, department="city_transport",
                                                           promise=PROMISE, report=code))
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        page = await text(await client.get(f"/oversight/{item.id}"))
        assert code in page and "赵丽娟" not in page and zh.plain("anonymous member") in page and "王晓明" in page
        csrf = csrf_of(page)
        form = {"csrf": csrf, "title": "停车整改视察", "start": at(stack, days=3), "end": at(stack, days=3, hours=2),
                "place": "西于庄街道", "audience": "list:H001,C001", "capacity": "20"}
        past = await client.post(f"/oversight/{item.id}/inspect", data={**form, "start": at(stack, days=-1)})
        assert past.status == 400 and await stack.count("oversight_inspections") == 0
        bad = await client.post(f"/oversight/{item.id}/inspect", data={**form, "capacity": "many"})
        assert bad.status == 400 and zh.plain("Enter a whole number.") in await text(bad)
        made = await client.post(f"/oversight/{item.id}/inspect", data=form, allow_redirects=False)
        assert made.status == 303
        page = await text(await client.get(f"/oversight/{item.id}"))
        assert "停车整改视察" in page
    session = await stack.row("study_sessions", title="停车整改视察")
    assert session.kind == "inspection" and session.status == "announced" and session.capacity == 20
    assert await stack.count("oversight_inspections", item_id=item.id, session_id=session.id) == 1


# --- consultation ---------------------------------------------------------------------------------

MAIN_PLACE, MAIN_LINK = "市政协机关三楼会议室", "https://meet.example.cn/main"


def meeting_form(stack, csrf: str, **changes) -> dict:
    return {"csrf": csrf, "title": "智慧养老服务专题协商会", "theme": "推进智慧养老服务体系建设", "committee": "social_legal",
            "starts": at(stack, days=3), "ends": at(stack, days=3, hours=2), "audience": "list:C001,H001",
            "host": "", "statements_by": "", **changes}


async def test_consultation_draft_venues_announce_statements_and_export(stack):
    await stack.pilot()  # the members and the committee's staff have joined
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        page = await client.get("/consultation")
        assert page.status == 200
        csrf = csrf_of(await page.text())
        for field, bad, message in (("title", "", "需要填写标题"), ("starts", at(stack, days=-1), "已过"),
                                    ("ends", at(stack, days=2), refused_zh("the end must come after the start")),
                                    ("ends", "", refused_zh("time {text!r} must look like 2026-12-03 14:30")),
                                    ("statements_by", "2026-13-01T10:00", refused_zh("time {text!r} must look like 2026-12-03 14:30")),
                                    ("committee", "atlantis", refused_zh("there is no committee")),
                                    ("host", "X999", refused_zh("no active member with roster id {host!r}")),
                                    ("audience", "everyone", refused_zh("audience must be one of"))):
            refused = await client.post("/consultation/add", data=meeting_form(stack, csrf, **{field: bad}))
            assert refused.status == 400 and beside(await text(refused), field, message), field
        assert await stack.count("consultations") == 0
        made = await client.post("/consultation/add", data=meeting_form(stack, csrf), allow_redirects=False)
        assert made.status == 303, re.findall(r'class="error"[^<]*', await made.text())
        meeting_id = int(made.headers["Location"].rsplit("/", 1)[1])
        page = f"/consultation/{meeting_id}"
        refused = await client.post(f"{page}/announce", data={"csrf": csrf})
        assert refused.status == 400 and refused_zh("has no venues yet") in await text(refused)
        refused = await client.post(f"{page}/venues", data={"csrf": csrf, "main_place": "", "main_link": "",
                                                            "subs": ""})
        assert refused.status == 400 and refused_zh("give a place, a link, or both") in await text(refused)
        refused = await client.post(f"{page}/venues", data={"csrf": csrf, "main_place": MAIN_PLACE,
                                                            "main_link": "ftp://x", "subs": ""})
        assert refused.status == 400 and await stack.count("consultation_venues") == 0
        saved = await client.post(f"{page}/venues", data={
            "csrf": csrf, "main_place": MAIN_PLACE, "main_link": MAIN_LINK,
            "subs": "红桥区政协|红桥区政协二楼会议室|https://meet.example.cn/hongqiao"}, allow_redirects=False)
        assert saved.status == 303
        announced = await client.post(f"{page}/announce", data={"csrf": csrf}, allow_redirects=False)
        assert announced.status == 303
        shown = await text(await client.get(page))
        assert "红桥区政协二楼会议室" in shown and "王晓明" in shown and zh.plain("not answered yet") in shown

        # statements reach the page; accepted and returned here, the CLI decides another
        meeting = await stack.row("consultations", id=meeting_id)
        now = stack.app.clock.now()
        statement_ids = []
        for roster_id, title in (("C001", "关于智慧养老平台的建议"), ("H001", "社区养老服务点"), ("C001", "第三份发言")):
            mid = await member_id(stack, roster_id)
            async with stack.app.db.transaction() as conn:
                statement_ids.append(await consultation_store.add_statement(
                    conn, consultation_id=meeting.id, member_id=mid, title=title, text="发言正文。", file=None,
                    status="submitted", in_person=False, created_at=now))
        first, second, third = statement_ids
        accepted = await client.post(f"{page}/statement/{first}/accept", data={"csrf": csrf}, allow_redirects=False)
        assert accepted.status == 303
        again = await client.post(f"{page}/statement/{first}/accept", data={"csrf": csrf})
        assert again.status == 400 and refusal_zh("statement #{id} is {status}: it was already decided", id=first,
                                                  status=Term(STATEMENT_STATUS["accepted"])) in await text(again)
        no_note = await client.post(f"{page}/statement/{second}/return", data={"csrf": csrf, "note": ""})
        assert no_note.status == 400 and refused_zh("needs a note") in await text(no_note)
        assert (await stack.row("consultation_statements", id=second)).status == "submitted"
        returned = await client.post(f"{page}/statement/{second}/return", data={"csrf": csrf, "note": "请补充数据。"},
                                     allow_redirects=False)
        assert returned.status == 303
        code, output = await linkage(stack, "consultation", "decide", str(third), "accept")
        assert code == 0, output
        shown = await text(await client.get(page))
        assert "请补充数据。" in shown and zh.plain("returned") in shown
        assert f"/statement/{third}/accept" not in shown  # decided on the command line: the page shows it
        for kind in ("docx", "xlsx"):
            download = await client.post(f"{page}/export", data={"csrf": csrf, "format": kind})
            assert download.status == 200 and f"consultation-{meeting_id}.{kind}" in download.headers[
                "Content-Disposition"]
            assert (await download.read()).startswith(b"PK")
        bad = await client.post(f"{page}/export", data={"csrf": csrf, "format": "pdf"})
        assert bad.status == 400
    office_id = await member_id(stack, "O001")
    decided = {s.id: s for s in await rows(stack, "consultation_statements", consultation_id=meeting_id)}
    assert (decided[first].status, decided[first].position, decided[second].status, decided[third].position) == (
        "accepted", 1, "returned", 2)
    audit = await rows(stack, "audit_log", action="consultation.statement_accepted")
    assert sorted(r.actor for r in audit) == ["cli", f"console:member:{office_id}"]
    code, output = await linkage(stack, "consultation", "list")
    assert code == 0 and f"#{meeting_id}" in output and "announced" in output


async def test_consultation_scope_and_forged_ids(stack):
    await stack.pilot()
    now = stack.app.clock.now()
    from handlers.consultation.meetings import add_meeting
    theirs = await office(stack, lambda ctx: add_meeting(ctx, title="经济协商会", theme="营商环境", committee="economic",
                                                         starts=now + timedelta(days=3), ends=now + timedelta(days=3, hours=2),
                                                         audience_spec="all"))
    author = await member_id(stack, "C001")
    async with stack.app.db.transaction() as conn:
        foreign_statement = await consultation_store.add_statement(
            conn, consultation_id=theirs.id, member_id=author, title="经济发言", text="正文。",
            file=None, status="submitted", in_person=False, created_at=now)
    async with console(stack) as client:
        await sign_in(client, stack, "S001")
        listing = await text(await client.get("/consultation"))
        assert "经济协商会" not in listing and 'name="committee"' not in listing
        csrf = csrf_of(listing)
        assert (await client.get(f"/consultation/{theirs.id}")).status == 404
        forged = await client.post(f"/consultation/{theirs.id}/statement/{foreign_statement}/accept", data={"csrf": csrf})
        assert forged.status == 404
        refused = await client.post("/consultation/add", data=meeting_form(stack, csrf, audience="all"))
        assert refused.status == 400 and "committee:social_legal" in await text(refused)
        made = await client.post("/consultation/add", data=meeting_form(stack, csrf, committee="economic", audience=""),
                                 allow_redirects=False)
        assert made.status == 303
        ours = int(made.headers["Location"].rsplit("/", 1)[1])
        # a statement of another meeting, through this meeting's page, is not found either
        forged = await client.post(f"/consultation/{ours}/statement/{foreign_statement}/accept", data={"csrf": csrf})
        assert forged.status == 404
    assert (await stack.row("consultation_statements", id=foreign_statement)).status == "submitted"
    row = await stack.row("consultations", id=ours)
    assert row.committee_code == "social_legal" and row.audience == {"kind": "committee", "value": "social_legal"}
    async with console(stack) as client:
        await sign_in(client, stack, "Q001")
        assert (await client.get("/consultation")).status == 403



# --- the same on PostgreSQL (skipped, saying why, without LINKAGE_TEST_POSTGRES_URL) ---------------

async def test_committee_screens_on_postgres(pg_stack):
    await test_oversight_scope_committee_staff_see_and_change_only_their_committee(pg_stack)
    await test_consultation_draft_venues_announce_statements_and_export(pg_stack)
