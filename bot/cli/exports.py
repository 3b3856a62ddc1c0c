"""``linkage export ...``: tables for the office (handlers/exports.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from bot.cli.support import run as _run
from bot.cli.support import with_db as _with_db
from bot.settings import Settings
from handlers.reports.exports import export_reports


@click.group()
def export() -> None:
    """Exports (CSV or XLSX) for the office."""


@export.command("reports")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (Asia/Shanghai).")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--out", "path", required=True, type=click.Path(path_type=Path), help="FILE.xlsx or FILE.csv")
@click.option("--district", help="Only this district's reports (a code such as hongqiao).")
@click.option("--reveal-anonymous", is_flag=True, help="Name anonymous authors (recorded in the audit log).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def reports(settings: Settings, start: datetime, end: datetime, path: Path, district: str | None,
            reveal_anonymous: bool, lang: str) -> None:
    """The reports submitted in a period, one row each."""
    count = _run(_with_db(settings, lambda conn, now: export_reports(
        conn, path, start.date(), end.date(), now, district=district, reveal_anonymous=reveal_anonymous, lang=lang)))
    click.echo(f"{count} reports written to {path}")
