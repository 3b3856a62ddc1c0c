"""``linkage report ...``: the office looks reports up (handlers/reports/search.py)."""

from __future__ import annotations

import click

from bot.cli.support import run as _run
from bot.cli.support import with_db as _with_db
from bot.settings import Settings
from handlers.reports.lifecycle import STATUS_LABELS
from handlers.reports.search import MAX_RESULTS, result_parts, words_of
from storage import items as item_store


@click.group()
def report() -> None:
    """Reports (社情民意信息)."""


@report.command("search")
@click.argument("words", nargs=-1, required=True)
@click.option("--status", type=click.Choice(sorted(STATUS_LABELS)), help="Only reports in this state.")
@click.option("--district", help="Only this district's reports (a code such as hongqiao).")
@click.option("--limit", type=click.IntRange(1, 100), default=MAX_RESULTS, show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def search(settings: Settings, words: tuple[str, ...], status: str | None, district: str | None, limit: int,
           lang: str) -> None:
    """Reports whose code, title or text contain every word, newest first (authors are not shown)."""
    found = _run(_with_db(settings, lambda conn, now: item_store.search(
        conn, words_of(" ".join(words)), status=status, district=district, limit=limit)))
    for item in found:
        click.echo(" · ".join([*result_parts(item, lang), item.district_code or "city"]))
    click.echo(f"{len(found)} report(s)")
