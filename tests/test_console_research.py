"""The console's research screen (bot/console/screens/research.py) in-process with aiohttp's test
client on the fast stack's database: a project opened (good and bad input, nothing written on a
refusal) and opened from a proposal, proposals merged and declined, a step marked done, the paper
uploaded and delivered, the workbook downloaded; committee staff reach only their own committee's
projects and proposals (a forged id of another's is a page that does not exist), the office's own
projects are the city office's, a district office sees none; the console and the command line
change the same rows."""

from __future__ import annotations

import io
from datetime import timedelta

from aiohttp import FormData
from openpyxl import load_workbook

from handlers.core.localtime import local_day
from handlers.research import projects
from storage import people
from storage import research as store
from tests.test_console import refused_zh, audit_rows, console, csrf_of, office, sign_in, text
from tests.test_console_office import linkage

STACK_TIER = "fast"


def days(stack, *offsets) -> list[str]:
    today = local_day(stack.app.clock.now())
    return [str(today + timedelta(days=n)) for n in offsets]


async def research_world(stack) -> dict:
    """A social_legal project H001 joined with a finding, an economic one, an office one, and three
    proposals waiting: two to social_legal, one to economic."""
    await stack.pilot()

    async def work(ctx):
        made = {}
        for name, committee in (("ours", "social_legal"), ("theirs", "economic"), ("office", None)):
            made[name] = (await projects.open_project(
                ctx, title=f"{name}调研", committee=committee, goal="摸清情况。", questions=["难点在哪？"],
                steps=days(stack, 3, 10, 20))).id
        member = await people.by_roster_id(ctx.conn, "H001")
        await projects.answer_call(ctx, made["ours"], member, True)
        await projects.add_finding(ctx, await store.project(ctx.conn, made["ours"]), member, "运营资金不足。", None)
        for key, committee in (("merge", "social_legal"), ("decline", "social_legal"), ("foreign", "economic")):
            made[key] = await store.add_proposal(ctx.conn, member_id=member.id, committee_code=committee,
                                                 title=f"方向{key}", why="值得研究。", questions="钱从哪里来？",
                                                 status="pending", created_at=ctx.now)
        return made
    return await office(stack, work)


def opening(csrf: str, stack, **changes) -> dict:
    select, visit, exchange = days(stack, 3, 10, 20)
    return {"csrf": csrf, "title": "社区养老调研", "committee": "economic", "goal": "摸清养老服务站的运营难点。",
            "questions": "钱从哪里来？\n谁来运营？", "select": select, "visit": visit, "exchange": exchange,
            "capacity": "", **changes}


async def test_staff_open_decide_mark_a_step_deliver_the_paper_and_export(stack):
    made = await research_world(stack)
    async with console(stack) as client:
        await sign_in(client, stack, "S001")  # social_legal's staff
        listing = await text(await client.get("/research"))
        assert "ours调研" in listing and "theirs调研" not in listing and "office调研" not in listing
        assert "方向merge" in listing and "方向foreign" not in listing
        for path in (f"/research/{made['theirs']}", f"/research/{made['office']}", f"/research/{made['theirs']}/export.xlsx"):
            assert (await client.get(path)).status == 404, path
        csrf = csrf_of(listing)
        forged = await client.post(f"/research/proposal/{made['foreign']}/decline", data={"csrf": csrf, "reason": "不"})
        assert forged.status == 404 and (await stack.row("research_proposals", id=made["foreign"])).status == "pending"

        # opening: each refusal beside its field, nothing written; then one for the staff's own committee
        before = await stack.count("research_projects")
        for changes, field_text in (({"select": days(stack, -1)[0]}, "已过"), ({"goal": ""}, "需要填写目标"),
                                    ({"capacity": "许多"}, "整数"),
                                    ({"visit": days(stack, 2)[0]}, refused_zh("one after the other"))):
            refused = await client.post("/research/open", data=opening(csrf, stack, **changes))
            assert refused.status == 400 and field_text in await text(refused), changes
            assert "摸清养老服务站" in await text(refused) or changes == {"goal": ""}
        assert await stack.count("research_projects") == before
        opened = await client.post("/research/open", data=opening(csrf, stack), allow_redirects=False)
        new = await stack.row("research_projects", title="社区养老调研")
        assert opened.status == 303 and opened.headers["Location"] == f"/research/{new.id}"
        assert new.committee_code == "social_legal" and new.questions == ["钱从哪里来？", "谁来运营？"]

        # a proposal accepted (the form comes filled in), one merged, one declined with a reason
        filled = await text(await client.get("/research", params={"proposal": str(made["decline"])}))
        assert 'value="方向decline"' in filled
        merged = await client.post(f"/research/proposal/{made['merge']}/merge", data={"csrf": csrf,
                                                                                      "project": str(made["theirs"])})
        assert merged.status == 404  # another committee's project
        assert (await client.post(f"/research/proposal/{made['merge']}/merge",
                                  data={"csrf": csrf, "project": str(made["ours"])})).status == 200
        assert (await stack.row("research_proposals", id=made["merge"])).status == "merged"
        silent = await client.post(f"/research/proposal/{made['decline']}/decline", data={"csrf": csrf, "reason": ""})
        assert silent.status == 400 and refused_zh("declining needs a reason") in await text(silent)
        accepted = await client.post("/research/open", data=opening(csrf, stack, proposal=str(made["decline"]),
                                                                    title="方向decline"), allow_redirects=False)
        assert accepted.status == 303
        assert (await stack.row("research_proposals", id=made["decline"])).status == "accepted"

        # the project's page: a step done, the paper refused without a file, then delivered
        page = await text(await client.get(f"/research/{made['ours']}"))
        assert "运营资金不足。" in page and "H001" in page
        step = (await stack.row("research_milestones", project_id=made["ours"], step="select")).id
        assert (await client.post(f"/research/step/{step}/done", data={"csrf": csrf})).status == 200
        again = await client.post(f"/research/step/{step}/done", data={"csrf": csrf})
        assert again.status == 400 and refused_zh("step #{milestone_id} is already done") in await text(again)
        visit = {"csrf": csrf, "title": "走访西于庄养老服务站", "place": "西于庄街道", "capacity": "",
                 "start": f"{days(stack, -1)[0]}T09:00", "end": f"{days(stack, -1)[0]}T11:00"}
        past = await client.post(f"/research/{made['ours']}/visit", data=visit)
        assert past.status == 400 and refused_zh("the start ({starts_at} Asia/Shanghai) is in the past") in await text(past) and await stack.count("research_visits") == 0
        visit.update(start=f"{days(stack, 5)[0]}T09:00", end=f"{days(stack, 5)[0]}T11:00")
        assert (await client.post(f"/research/{made['ours']}/visit", data=visit)).status == 200
        session = await stack.row("study_sessions", title="走访西于庄养老服务站")
        assert session.kind == "visit" and await stack.count("research_visits", session_id=session.id) == 1
        keyed = await text(await client.post(f"/research/{made['ours']}/room", data={"csrf": csrf}))
        assert "/bind " in keyed and await stack.count("targets", name=f"research:{made['ours']}") == 1
        assert (await client.post(f"/research/{made['theirs']}/room", data={"csrf": csrf})).status == 404
        empty = await client.post(f"/research/{made['ours']}/paper", data={"csrf": csrf, "summary": "摘要"})
        assert empty.status == 400 and refused_zh("choose the paper's file") in await text(empty)
        form = FormData()
        form.add_field("csrf", csrf)
        form.add_field("summary", "三条建议。")
        form.add_field("paper", b"%PDF-1.4 report", filename="report.pdf", content_type="application/pdf")
        assert (await client.post(f"/research/{made['ours']}/paper", data=form)).status == 200
        project = await stack.row("research_projects", id=made["ours"])
        assert (project.status, project.report_name, project.report_summary) == ("reported", "report.pdf", "三条建议。")
        workbook = load_workbook(io.BytesIO(await (await client.get(f"/research/{made['ours']}/export.xlsx")).read()))
        assert [r[4] for r in workbook.worksheets[3].iter_rows(min_row=2, values_only=True)] == ["运营资金不足。"]
    staff_id = (await stack.row("members", roster_id="S001")).id
    for action in ("research.open", "study.add", "research.proposal.merged", "research.proposal.accepted", "research.step",
                   "research.paper"):
        assert f"console:member:{staff_id}" in [r.actor for r in await audit_rows(stack, action)], action


async def test_the_city_office_sees_the_offices_own_projects_a_district_office_none(stack):
    made = await research_world(stack)
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        listing = await text(await client.get("/research"))
        assert all(f"{name}调研" in listing for name in ("ours", "theirs", "office"))
        assert (await client.get(f"/research/{made['office']}")).status == 200
        opened = await client.post("/research/open", data=opening(csrf_of(listing), stack, committee="office"),
                                   allow_redirects=False)
        assert opened.status == 303 and (await stack.row("research_projects", title="社区养老调研")).committee_code is None
    async with console(stack) as client:
        await sign_in(client, stack, "Q001")
        assert (await client.get("/research")).status == 403
        assert (await client.get(f"/research/{made['ours']}")).status == 403


async def test_the_console_and_the_command_line_change_the_same_rows(stack):
    made = await research_world(stack)
    step = (await stack.row("research_milestones", project_id=made["ours"], step="select")).id
    assert (await linkage(stack, "research", "step", str(step)))[0] == 0
    async with console(stack) as client:
        await sign_in(client, stack, "S001")
        page = await text(await client.get(f"/research/{made['ours']}"))
        assert f'action="/research/step/{step}/done"' not in page and "✓" in page
        declined = await client.post(f"/research/proposal/{made['decline']}/decline",
                                     data={"csrf": csrf_of(page), "reason": "与已有课题重复"})
        assert declined.status == 200
    code, out = await linkage(stack, "research", "list")
    assert code == 0 and "方向decline" not in out and "方向merge" in out
    assert (await linkage(stack, "research", "decline", str(made["decline"]), "--reason", "再次"))[0] != 0


async def test_the_research_screen_on_postgres(pg_stack):
    await test_staff_open_decide_mark_a_step_deliver_the_paper_and_export(pg_stack)
