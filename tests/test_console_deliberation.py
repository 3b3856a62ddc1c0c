"""The console's deliberation screen (bot/console/screens/deliberation.py) in-process with aiohttp's
test client on the fast stack's database: a topic opened (good and bad input, nothing written on a
refusal), a contribution hidden with its reason and pinned, the topic closed and concluded, the
export downloaded; committee staff reach only their own committee's topics (a forged id of
another's is a page that does not exist), a district office none; the console and the command line
moderate the same rows."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from handlers.core.i18n import translator
from handlers.core.localtime import local
from handlers.core.errors import Term
from handlers.deliberation import summary, topics
from storage import deliberation as store
from storage import people
from tests.test_console import refused_zh, refusal_zh, audit_rows, console, csrf_of, office, sign_in, text
from tests.test_console_office import linkage

STACK_TIER = "fast"
zh = translator("zh")


def later(stack, hours: int) -> str:
    return local(stack.app.clock.now() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


async def topic_with_views(stack, committee: str, title: str) -> tuple[int, list[int]]:
    """A topic of the committee for Hongqiao with two members' views (written as the chat writes them)."""
    await stack.pilot()

    async def work(ctx):
        topic = await topics.open_topic(ctx, title=title, committee=committee, audience_spec="all",
                                        closes=ctx.now + timedelta(days=2), body="背景材料。", questions=["怎么办？"])
        ids = []
        for roster_id, said in (("H001", "建议设立专项资金。"), ("C001", "建议分楼层协商。")):
            member = await people.by_roster_id(ctx.conn, roster_id)
            ids.append(await store.add(ctx.conn, topic.id, member_id=member.id, question=1, text=said,
                                       naming="named", status="visible", pinned=False, created_at=ctx.now))
        return topic.id, ids
    return await office(stack, work)


async def other_committee_staff(stack) -> None:
    async def work(ctx):
        await people.create(ctx.conn, roster_id="S002", name="钱立新", level="city", committee_code="economic",
                            role="staff", created_at=ctx.now)
    await office(stack, work)


async def test_staff_open_moderate_close_conclude_and_export_their_committees_topic(stack):
    ours, (first, second) = await topic_with_views(stack, "social_legal", "加装电梯协调难")
    theirs, (foreign, _) = await topic_with_views(stack, "economic", "营商环境")
    async with console(stack) as client:
        await sign_in(client, stack, "S001")  # social_legal's staff
        listing = await text(await client.get("/deliberation"))
        assert "加装电梯协调难" in listing and "营商环境" not in listing
        assert (await client.get(f"/deliberation/{theirs}")).status == 404
        csrf = csrf_of(listing)
        forged = await client.post(f"/deliberation/contribution/{foreign}/pin", data={"csrf": csrf})
        assert forged.status == 404 and not (await stack.row("contributions", id=foreign)).pinned

        # opening: bad input answered beside its field, nothing written; then a good one
        before = await stack.count("deliberations")
        form = {"csrf": csrf, "title": "社区养老", "audience": "district:hongqiao", "closes": later(stack, -1),
                "body": "背景。", "questions": "谁出钱？\n谁牵头？"}
        past = await client.post("/deliberation/open", data=form)
        assert past.status == 400 and refused_zh("closing time must come after") in await text(past)
        assert "社区养老" in await text(past)  # the form keeps what was typed
        untitled = await client.post("/deliberation/open", data={**form, "title": "", "closes": later(stack, 24)})
        assert untitled.status == 400 and "需要填写标题" in await text(untitled)
        nobody = await client.post("/deliberation/open", data={**form, "audience": "district:atlantis",
                                                               "closes": later(stack, 24)})
        assert nobody.status == 400 and await stack.count("deliberations") == before
        opened = await client.post("/deliberation/open", data={**form, "closes": later(stack, 24),
                                                               "committee": "economic"}, allow_redirects=False)
        assert opened.status == 303
        row = await stack.row("deliberations", title="社区养老")
        assert row.committee_code == "social_legal" and row.questions == ["谁出钱？", "谁牵头？"]  # staff: their own
        assert opened.headers["Location"] == f"/deliberation/{row.id}"

        # moderation: a reason is needed to hide; the author is told; a pin puts one first
        page = f"/deliberation/{ours}"
        silent = await client.post(f"/deliberation/contribution/{second}/hide", data={"csrf": csrf, "reason": ""})
        assert silent.status == 400 and refused_zh("hiding needs a reason") in await text(silent)
        assert (await stack.row("contributions", id=second)).status == "visible"
        hid = await client.post(f"/deliberation/contribution/{second}/hide", data={"csrf": csrf, "reason": "离题"})
        assert hid.status == 200 and str(hid.url).endswith(page)
        assert (await stack.row("contributions", id=second)).hidden_reason == "离题"
        assert (await client.post(f"/deliberation/contribution/{first}/pin", data={"csrf": csrf})).status == 200
        shown = await text(await client.get(page))
        assert "离题" in shown and "📌" in shown
        assert zh.plain("By district: {tally}", tally="红桥区 1") in shown  # the hidden view's author no longer counts

        # a one-time key for the topic's room, shown once
        keyed = await text(await client.post(f"{page}/room", data={"csrf": csrf}))
        assert "/bind " in keyed and await stack.count("targets", name=f"deliberation:{ours}") == 1

        # the committee's export, then close and conclude
        export = await client.get(f"{page}/export.xlsx")
        sheet = load_workbook(io.BytesIO(await export.read())).active
        texts = [r[9] for r in sheet.iter_rows(min_row=2, values_only=True)]
        assert export.status == 200 and texts == ["建议设立专项资金。", "建议分楼层协商。"]
        early = await client.post(f"{page}/conclude", data={"csrf": csrf, "conclusion": "结论"})
        assert early.status == 400 and refused_zh("still open") in await text(early)
        assert (await client.post(f"{page}/close", data={"csrf": csrf})).status == 200
        assert (await stack.row("deliberations", id=ours)).status == "closed"
        assert (await client.post(f"{page}/conclude", data={"csrf": csrf, "conclusion": "形成三条建议。"})).status == 200
        assert (await stack.row("deliberations", id=ours)).conclusion == "形成三条建议。"
    staff_id = (await stack.row("members", roster_id="S001")).id
    for action in ("deliberation.open", "deliberation.hide", "deliberation.pin", "deliberation.close"):
        assert f"console:member:{staff_id}" in [r.actor for r in await audit_rows(stack, action)], action


async def test_the_city_office_sees_every_committee_a_district_office_none(stack):
    ours, _ = await topic_with_views(stack, "social_legal", "加装电梯协调难")
    theirs, _ = await topic_with_views(stack, "economic", "营商环境")
    await other_committee_staff(stack)
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        listing = await text(await client.get("/deliberation"))
        assert "加装电梯协调难" in listing and "营商环境" in listing
        closed = await text(await client.get("/deliberation", params={"status": "closed"}))
        assert "营商环境" not in closed
    async with console(stack) as client:
        await sign_in(client, stack, "S002")  # economic's staff
        assert (await client.get(f"/deliberation/{ours}")).status == 404
        assert (await client.get(f"/deliberation/{theirs}")).status == 200
        assert (await client.get(f"/deliberation/{ours}/export.xlsx")).status == 404
    async with console(stack) as client:
        await sign_in(client, stack, "Q001")
        assert (await client.get("/deliberation")).status == 403
        assert 'href="/deliberation"' not in await text(await client.get("/audit"))


async def test_the_console_and_the_command_line_moderate_the_same_rows(stack):
    topic, (first, second) = await topic_with_views(stack, "social_legal", "加装电梯协调难")
    code, out = await linkage(stack, "deliberation", "hide", str(second), "--reason", "重复")
    assert code == 0, out
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        page = await text(await client.get(f"/deliberation/{topic}"))
        assert "重复" in page
        assert (await client.post(f"/deliberation/contribution/{first}/pin", data={"csrf": csrf_of(page)})).status == 200
        again = await client.post(f"/deliberation/contribution/{second}/hide",
                                  data={"csrf": csrf_of(page), "reason": "再次"})
        # the status too in Chinese: 意见 #N 的状态为已隐藏。
        assert again.status == 400 and refusal_zh("contribution #{contribution_id} is {status}", contribution_id=second,
                                                  status=Term(summary.STATUS["hidden"])) in await text(again)
    code, out = await linkage(stack, "deliberation", "show", str(topic))
    assert code == 0 and "[pinned]" in next(line for line in out.splitlines() if f"(id {first})" in line)
    assert "[hidden: 重复]" in next(line for line in out.splitlines() if f"(id {second})" in line)


async def test_the_deliberation_screen_on_postgres(pg_stack):
    await test_staff_open_moderate_close_conclude_and_export_their_committees_topic(pg_stack)
