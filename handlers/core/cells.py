"""Spreadsheet cells that stay text. Excel, LibreOffice and WPS run a cell that starts with
``= + - @`` (or a tab or carriage return) as a formula — a report's text or a roster name must
never become a live formula (``=HYPERLINK(...)``, ``=cmd|...``) in the office's spreadsheet.

CSV has no cell types, so such a cell is written with a leading apostrophe, the usual escape; an
XLSX cell is stored as a string with Excel's "quote prefix" (shown as typed, never evaluated).
Reading a file back (the roster import) removes exactly that apostrophe, so a name survives
an export and re-import unchanged."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return QUOTE + text if _is_formula_like(text) else text


def read_cell(value: str) -> str:
    """A cell's text as it was before :func:`csv_cell` escaped it."""
    return value[1:] if value.startswith(QUOTE) and _is_formula_like(value[1:]) else value


def write_table(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """One header row and the rows, as .csv (UTF-8 with a byte-order mark, so Excel shows
    Chinese correctly) or .xlsx; every cell is text."""
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows([[csv_cell(value) for value in row] for row in (header, *rows)])
        return
    write_sheets(path, [("Sheet", header, [["" if value is None else str(value) for value in row] for row in rows])])


def write_sheets(dest, sheets: list[tuple[str, list[str], list[list]]]) -> None:
    """An .xlsx workbook (a path or a binary file) of (title, header, rows) sheets: numbers stay
    numbers, everything else is text that never becomes a formula."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for row in (header, *rows):
            sheet.append([value if isinstance(value, (int, float)) else "" if value is None else str(value)
                          for value in row])
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # openpyxl took the text for a formula
                    cell.data_type = "s"
                    cell.quotePrefix = True
        sheet.freeze_panes = "A2"
    book.save(dest)
