"""The duty record (履职档案): a member's year from every feature's part — reports with their
outcomes, a co-signature, attendance, a reading plan, a notice read, points — as the /record
summary and its XLSX and PDF (the PDF's text extracted, Chinese intact); a member gets only
their own; the office's workbook for everyone."""

from __future__ import annotations

import io
import re

import openpyxl
from pypdf import PdfReader

from handlers.core import audience
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.features import REGISTRY
from handlers.notices.notices import send_notice
from handlers.points import ledger
from handlers.points import record as duty
from tests.test_points import a_year_of_work

STACK_TIER = "fast"
zh = translator("zh")
TIMEOUT = 30


def pdf_text(content: bytes) -> str:
    """The PDF's text without the separators pypdf puts between the glyphs (spaces, NULs)."""
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


async def test_a_members_record_holds_each_part_and_only_their_own(stack, tmp_path):
    pilot = await stack.pilot()
    sb = stack.sb
    now = stack.app.clock.now()
    await a_year_of_work(stack, now)
    async with stack.app.db.transaction() as conn:
        ctx = Ctx.offline(conn, now, stack.app.dispatcher.config, REGISTRY)
        await send_notice(ctx, title="关于年度履职报告的通知", body="请于月底前提交。", spec=audience.parse("all"),
                          sender_id=None, remind_after_hours=0)
    notice = await sb.wait_for(pilot.city, lambda m: "nr:1" in m.button_data.values(), TIMEOUT)
    await sb.press(pilot.city, notice, data="nr:1")
    await stack.settle()

    await sb.send(pilot.city, "/record")
    text = await sb.wait_for(pilot.city, lambda m: (m.text or "").startswith("📒"), TIMEOUT)
    for section, count in (("Reports submitted", 6), ("Reports co-signed", 0), ("Study sessions", 1),
                           ("Reading plans", 1), ("Notices read", 1), ("Points", 51)):
        assert zh.plain("{section}: {count}", section=zh.plain(section), count=count) in text.text
    assert "王晓明" in text.text
    await sb.wait_for(pilot.city, lambda m: m.kind == "document" and m.raw["document"]["file_name"].endswith(".pdf"),
                      TIMEOUT)
    await stack.settle()
    documents = [m for m in await sb.messages(pilot.city) if m.kind == "document"]
    by_name = {m.raw["document"]["file_name"]: await sb.download(m.raw["document"]["file_id"]) for m in documents}
    assert set(by_name) == {f"linkage-record-C001-{now.year}.xlsx", f"linkage-record-C001-{now.year}.pdf"}

    book = openpyxl.load_workbook(io.BytesIO(by_name[f"linkage-record-C001-{now.year}.xlsx"]))
    cells = {str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row}
    assert {"停车难2", "十二月集中学习", "读书计划", "关于年度履职报告的通知"} <= cells
    assert any(zh.plain("adopted") in value for value in cells)  # the outcome chain of the adopted report
    pdf = pdf_text(by_name[f"linkage-record-C001-{now.year}.pdf"])
    assert "王晓明" in pdf and "停车难2" in pdf and "关于年度履职报告的通知" in pdf and "十二月集中学习" in pdf

    # the co-signer's record holds the signature; nobody's record is reachable by another member
    await sb.send(pilot.hongqiao, "/record C001")
    other = await sb.wait_for(pilot.hongqiao, lambda m: (m.text or "").startswith("📒"), TIMEOUT)
    assert "赵丽娟" in other.text and "王晓明" not in other.text
    assert zh.plain("{section}: {count}", section=zh.plain("Reports co-signed"), count=1) in other.text

    # the office's workbook for everyone: a summary row per member, a member column per section
    async with stack.app.db.transaction() as conn:
        await ledger.collect(conn, REGISTRY, now)
        out = tmp_path / "all.xlsx"
        await duty.write_all(conn, REGISTRY, now.year, out)
    book = openpyxl.load_workbook(out)
    summary = {row[0]: row for row in book.worksheets[0].iter_rows(values_only=True)}
    assert summary["C001"][2:] == (6, 0, 1, 1, 1, 0, 51) and summary["H001"][3] == 1  # …, research projects, points
    assert len(book.worksheets) == 8


async def test_the_record_on_postgres(pg_stack, tmp_path):
    """The same record queries on PostgreSQL (skipped without LINKAGE_TEST_POSTGRES_URL)."""
    await test_a_members_record_holds_each_part_and_only_their_own(pg_stack, tmp_path)
