"""The console's points screen (bot/console/screens/points.py) in-process with aiohttp's test client
on the fast stack's database: a rule's points and cap edited (bad input beside the rule, nothing
changed) by the city office only, the board for a period and its bad dates, a member's entries and
a correction (a reason needed), the year's workbook; a district office sees, corrects and exports
its own district's members only; the console and the command line change the same rows."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from handlers.core.localtime import local_day
from tests.test_console import refused_zh, audit_rows, console, csrf_of, sign_in, text
from tests.test_console_office import linkage

STACK_TIER = "fast"


async def entries(stack, roster_id: str) -> list:
    from sqlalchemy import select

    from storage.points import point_entries
    member = await stack.row("members", roster_id=roster_id)
    async with stack.app.db.read() as conn:
        return list(await conn.execute(select(point_entries).where(point_entries.c.member_id == member.id)))


async def test_rules_board_corrections_and_export_from_the_city_office(stack):
    assert (await linkage(stack, "points", "correct", "P001", "--points", "7", "--reason", "补录"))[0] == 0
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        page = await text(await client.get("/points"))
        assert "report.submit" in page and "P001" in page and "H001" in page
        csrf = csrf_of(page)

        # a rule edited; bad input answered beside the rule and nothing changed
        rule = await stack.row("point_rules", key="report.submit")
        for form, problem in (({"points": "许多", "cap": ""}, "整数"), ({"points": "-1", "cap": ""}, "不能为负数"),
                              ({"points": "3", "cap": "-2"}, refused_zh("cap cannot be negative"))):
            refused = await client.post("/points/rule/report.submit", data={"csrf": csrf, **form})
            assert refused.status == 400 and problem in await text(refused), form
        assert await stack.row("point_rules", key="report.submit") == rule
        unknown = await client.post("/points/rule/no.such", data={"csrf": csrf, "points": "1", "cap": ""})
        assert unknown.status == 404
        assert (await client.post("/points/rule/report.submit", data={"csrf": csrf, "points": "4", "cap": "20"})).status == 200
        changed = await stack.row("point_rules", key="report.submit")
        assert (changed.points, changed.cap_per_month) == (4, 20)
        assert (await client.post("/points/recompute", data={"csrf": csrf})).status == 200
        code, out = await linkage(stack, "points", "rules")
        assert code == 0 and "4  cap 20/month" in next(line for line in out.splitlines() if "report.submit" in line)

        # the board's period: a bad date or a period ending before it starts is answered beside the field
        today = local_day(stack.app.clock.now())
        bad = await client.get("/points", params={"from": "2026-13-01"})
        assert bad.status == 400 and "YYYY-MM-DD" in await text(bad)
        backwards = await client.get("/points", params={"from": str(today), "to": f"{today.year - 1}-01-01"})
        assert backwards.status == 400
        by_level = await text(await client.get("/points", params={"by": "level"}))
        assert "P001" in by_level

        # a member's entries and a correction: a reason and a whole number needed, unknown members refused
        member_page = await text(await client.get("/points/member", params={"member": "P001"}))
        assert "补录" in member_page and "+7" in member_page
        path = "/points/member/correct?member=P001"
        for form, problem in (({"points": "5", "reason": ""}, "需要说明理由"), ({"points": "五", "reason": "补"}, "整数"),
                              ({"points": "0", "reason": "补"}, refused_zh("changes nothing")),
                              ({"points": "-99999999999", "reason": "补"}, refused_zh("a whole number of at most"))):
            refused = await client.post(path, data={"csrf": csrf, **form})
            assert refused.status == 400 and problem in await text(refused), form
        nobody = await client.get("/points/member", params={"member": "NOBODY"})
        assert nobody.status == 400 and refused_zh("no member {roster_ref!r}") in await text(nobody)
        assert len(await entries(stack, "P001")) == 1
        assert (await client.post(path, data={"csrf": csrf, "points": "-2", "reason": "重复计分"})).status == 200
        assert sorted(e.amount for e in await entries(stack, "P001")) == [-2, 7]

        workbook = load_workbook(io.BytesIO(await (await client.get("/points/export.xlsx")).read()))
        totals = {row[0]: row[-1] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)}
        assert totals["P001"] == 5 and "H001" in totals
    office_id = (await stack.row("members", roster_id="O001")).id
    for action in ("points_rule_set", "points_correct", "points_recompute"):
        assert f"console:member:{office_id}" in [r.actor for r in await audit_rows(stack, action)], action


async def test_a_district_office_sees_and_corrects_its_own_members_only(stack):
    heping = await entries(stack, "P001")
    async with console(stack) as client:
        await sign_in(client, stack, "Q001")  # Hongqiao
        page = await text(await client.get("/points"))
        assert "H001" in page and "P001" not in page and "C001" not in page
        assert 'action="/points/rule/' not in page  # the rules are read here, kept by the city office
        csrf = csrf_of(page)
        refused = await client.post("/points/rule/report.submit", data={"csrf": csrf, "points": "9", "cap": ""})
        assert refused.status == 403 and (await stack.row("point_rules", key="report.submit")).points != 9
        assert (await client.post("/points/recompute", data={"csrf": csrf})).status == 403
        other = await client.get("/points/member", params={"member": "P001"})
        assert other.status == 400 and "不属于本区" in await text(other)
        forged = await client.post("/points/member/correct?member=P001", data={"csrf": csrf, "points": "5",
                                                                               "reason": "伪造"})
        assert forged.status == 400 and await entries(stack, "P001") == heping
        assert (await client.post("/points/member/correct?member=H001",
                                  data={"csrf": csrf, "points": "3", "reason": "补录"})).status == 200
        workbook = load_workbook(io.BytesIO(await (await client.get("/points/export.xlsx")).read()))
        ids = {row[0] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)}
        assert "H001" in ids and "P001" not in ids and "C001" not in ids
    code, out = await linkage(stack, "points", "board", "--by", "district")
    assert code == 0 and any(line.split()[1:2] == ["H001"] and line.split()[-1] == "3" for line in out.splitlines())
    assert [e.amount for e in await entries(stack, "H001")] == [3]
    async with console(stack) as client:
        await sign_in(client, stack, "S001")
        assert (await client.get("/points")).status == 403


async def test_the_points_screen_on_postgres(pg_stack):
    await test_rules_board_corrections_and_export_from_the_city_office(pg_stack)
    await test_a_district_office_sees_and_corrects_its_own_members_only(pg_stack)
