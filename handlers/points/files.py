"""The duty record as files: an XLSX workbook (a sheet per section; the office's one for everyone
adds a summary sheet and a member column) and a PDF in the Chinese font shipped for the charts
(handlers/fonts/, embedded by fpdf2 from the OTF). Cells go through handlers/core/cells.py."""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from handlers.core.cells import write_sheets
from handlers.core.points import RecordSection

FONT = Path(__file__).resolve().parent.parent / "fonts" / "LinkageSansSC-Regular.otf"


def counted(section: RecordSection) -> int:
    """The section's count for a summary: its rows, a points section's total (its last row)."""
    if section.key == "points":
        return section.rows[-1][1] if section.rows else 0
    return len(section.rows)


def _workbook(sheets) -> bytes:
    buffer = io.BytesIO()
    write_sheets(buffer, sheets)
    return buffer.getvalue()


def member_workbook(sections: list[RecordSection]) -> bytes:
    return _workbook([(section.title, list(section.headings), [list(row) for row in section.rows])
                      for section in sections])


def everyone_workbook(records: list[tuple[object, list[RecordSection]]]) -> bytes:
    """A summary sheet (a member per row, a count per section), then each section with the member."""
    if not records:
        return _workbook([("汇总", ["编号", "姓名"], [])])
    first = records[0][1]
    summary = [[member.roster_id, member.name, *(counted(section) for section in sections)]
               for member, sections in records]
    sheets = [("汇总", ["编号", "姓名", *(section.title for section in first)], summary)]
    for index, section in enumerate(first):
        rows = [[member.roster_id, member.name, *row] for member, sections in records for row in sections[index].rows]
        sheets.append((section.title, ["编号", "姓名", *section.headings], rows))
    return _workbook(sheets)


def member_pdf(title: str, sections: list[RecordSection]) -> bytes:
    pdf = FPDF()
    pdf.add_font("sc", fname=str(FONT))
    pdf.set_font("sc", size=11)
    pdf.add_page()
    pdf.set_font_size(16)
    pdf.multi_cell(0, 10, title)
    for section in sections:
        pdf.set_font_size(13)
        pdf.ln(3)
        pdf.multi_cell(0, 8, f"{section.title}（{counted(section)}）")
        if not section.rows:
            continue
        pdf.set_font_size(9)
        with pdf.table(headings_style=FontFace(emphasis=None, fill_color=(230, 230, 230))) as table:
            for row in (section.headings, *section.rows):
                cells = table.row()
                for value in row:
                    cells.cell("" if value is None else str(value))
    return bytes(pdf.output())
