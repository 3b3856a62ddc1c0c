"""`linkage export reports`: the office's table of a period's reports, from reports submitted
through the real bot, written as XLSX and CSV by the command line. Export is feature logic, on the
fast tier: the submit flow over HTTP through both frameworks is test_core_flow's."""

from __future__ import annotations

import asyncio
import csv

from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main as cli_main
from handlers.office.roster import ROSTER_COLUMNS, read_roster_file
from handlers.core.localtime import local_day
from handlers.core.cells import write_table
from handlers.core.i18n import translator

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30


async def test_the_office_exports_a_periods_reports_and_anonymous_authors_stay_anonymous(stack, tmp_path):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    city_code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="夜间停车难。",
                                   suggestion="共享停车。", cosigners="H001", title="夜间停车难",
                                   tags=("elderly_friendly", "disability"))
    invitation = await sb.wait_for(pilot.hongqiao, lambda m: any(d.startswith("cs:y:") for d in m.button_data.values()),
                                   TIMEOUT)
    await sb.press(pilot.hongqiao, invitation, data=next(iter(invitation.button_data.values())))
    street_code = await world.submit(pilot.hongqiao, topic="smart_parking", area="street",
                                     street="hongqiao_xiyuzhuang", privacy="anonymous",
                                     observation="西于庄晚上找不到车位。", suggestion="错时停车。")
    await stack.settle()
    today = local_day(stack.app.clock.now()).isoformat()
    runner = CliRunner()

    async def export(*args: str):
        return await asyncio.to_thread(runner.invoke, cli_main, [
            "--database", stack.app.settings.database, "export", "reports", "--from", today, "--to", today, *args])

    result = await export("--out", str(tmp_path / "all.xlsx"))
    assert result.exit_code == 0, result.output
    assert "2 reports written" in result.output
    sheet = load_workbook(tmp_path / "all.xlsx").active
    header, *rows = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert header[:5] == [zh.plain(c) for c in ("Code", "Title (标题)", "Submitted", "Topic", "Tags")]
    by_code = {row[0]: dict(zip(header, row)) for row in rows}
    assert set(by_code) == {city_code, street_code}
    assert by_code[city_code][zh.plain("Submitted by")] == "王晓明"
    assert (by_code[city_code][zh.plain("Title (标题)")], by_code[city_code][zh.plain("Tags")]) == ("夜间停车难", "适老、助残")
    assert by_code[city_code][zh.plain("Co-signed by (联名)")] == "赵丽娟"
    assert by_code[street_code][zh.plain("Submitted by")] == zh.plain("anonymous member")
    assert "赵丽娟" not in "".join(by_code[street_code].values())  # the anonymous author is not in the file

    result = await export("--district", "hongqiao", "--reveal-anonymous", "--out", str(tmp_path / "hq.csv"))
    assert result.exit_code == 0, result.output
    with open(tmp_path / "hq.csv", encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    assert [row[0] for row in rows] == [street_code]
    assert dict(zip(header, rows[0]))[zh.plain("Submitted by")] == zh("{name} (anonymous)", name="赵丽娟")
    audits = [r.detail for r in await _audit(stack, "export.reports")]
    assert [(a["rows"], a["reveal_anonymous"], a["district"]) for a in audits] == [(2, False, None),
                                                                                    (1, True, "hongqiao")]

    # mistakes: a clear message and no file
    for args, message in ((["--out", str(tmp_path / "x.pdf")], "must end in .csv or .xlsx"),
                          (["--district", "atlantis", "--out", str(tmp_path / "y.csv")], "no district"),
                          (["--from", "2026-01-02", "--to", "2026-01-01",  # the later options win
                            "--out", str(tmp_path / "z.csv")], "before it starts")):
        result = await export(*args)
        assert result.exit_code != 0 and message in result.output, result.output
    assert not any((tmp_path / name).exists() for name in ("x.pdf", "y.csv", "z.csv"))


async def _audit(stack, action: str) -> list:
    from sqlalchemy import select

    from storage.schema import audit_log
    async with stack.app.db.read() as conn:
        return list(await conn.execute(select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)))


FORMULAS = ('=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)")


async def test_member_text_never_becomes_a_spreadsheet_formula(stack, tmp_path):
    member = await stack.world.join("C002", "李静怡")
    await stack.world.submit(member, topic="smart_parking", area="city", observation=FORMULAS[0],
                             analysis=FORMULAS[1], suggestion=FORMULAS[2] + FORMULAS[3])
    await stack.settle()
    today = local_day(stack.app.clock.now()).isoformat()
    for name in ("reports.xlsx", "reports.csv"):
        result = await asyncio.to_thread(CliRunner().invoke, cli_main, [
            "--database", stack.app.settings.database, "export", "reports", "--from", today, "--to", today,
            "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    cells = {cell.value: cell for row in load_workbook(tmp_path / "reports.xlsx").active.iter_rows() for cell in row}
    for text in (FORMULAS[0], FORMULAS[1], FORMULAS[2] + FORMULAS[3]):
        assert cells[text].data_type == "s"  # the text itself, stored as text, never a formula
    with open(tmp_path / "reports.csv", encoding="utf-8-sig", newline="") as f:
        row = list(csv.reader(f))[1]
    for text in (FORMULAS[0], FORMULAS[1], FORMULAS[2] + FORMULAS[3]):
        assert "'" + text in row


def test_a_formula_like_name_survives_export_and_roster_reimport(tmp_path):
    names = [*FORMULAS, "'quoted", "王晓明"]
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"roster{suffix}"
        write_table(path, list(ROSTER_COLUMNS),
                    [[f"C{i}", name, "city", "", "", "", "", "", "", ""] for i, name in enumerate(names)])
        assert [row["name"] for row in read_roster_file(path)] == names, suffix
