"""``linkage holidays``: the office keeps the working-day calendar of deadlines up to date
(public holidays and make-up workdays, e.g. when the State Council announces next year's)."""

from __future__ import annotations

import click

from bot.cli.support import run as _run
from bot.cli.support import with_db as _with_db
from bot.settings import Settings


@click.group()
def holidays() -> None:
    """China's public holidays and make-up workdays (调休) used by deadlines."""


@holidays.command("list")
@click.option("--year", type=click.IntRange(2000, 2100), help="Default: this year (Asia/Shanghai).")
@click.pass_obj
def holidays_list(settings: Settings, year: int | None) -> None:
    """The year's entries; dates not listed follow the weekday rule (Mon–Fri work)."""
    from handlers.core.localtime import SHANGHAI
    from handlers.reports.deadlines import describe
    from storage import calendar as calendar_store

    async def work(conn, now):
        shown = year or now.astimezone(SHANGHAI).year
        return shown, await calendar_store.days(conn, shown)

    shown, rows = _run(_with_db(settings, work))
    if not rows:
        click.echo(f"{shown}: no entries — only weekends are off. Run `linkage seed`, or add the "
                   "State Council's arrangement with `linkage holidays add`.")
        return
    for row in rows:
        click.echo(describe(row))
    holidays_ = sum(r.kind == "holiday" for r in rows)
    workdays = sum(r.kind == "workday" for r in rows)
    click.echo(f"{shown}: {holidays_} holiday(s), {workdays} make-up workday(s)")


@holidays.command("add")
@click.argument("day")
@click.option("--kind", type=click.Choice(["holiday", "workday"]), required=True,
              help="holiday: off even on a weekday; workday: a make-up working day even on a weekend.")
@click.option("--name", required=True, help="e.g. 春节 or 春节调休上班")
@click.pass_obj
def holidays_add(settings: Settings, day: str, kind: str, name: str) -> None:
    """Enter DAY (YYYY-MM-DD) as a holiday or a make-up workday (replaces an existing entry)."""
    from handlers.reports.deadlines import parse_day, set_day

    async def work(conn, now):
        return await set_day(conn, parse_day(day), kind, name, now, settings.handler_config())

    moved = _run(_with_db(settings, work))
    click.echo(f"{day}: {kind} ({name}); pending deadline nudges re-timed: {moved}")


@holidays.command("remove")
@click.argument("day")
@click.pass_obj
def holidays_remove(settings: Settings, day: str) -> None:
    """Remove DAY's entry: it follows the weekday rule again (a re-seed does not bring it back)."""
    from handlers.reports.deadlines import parse_day, remove_day

    async def work(conn, now):
        return await remove_day(conn, parse_day(day), now, settings.handler_config())

    moved = _run(_with_db(settings, work))
    click.echo(f"{day}: removed, the weekday rule applies; pending deadline nudges re-timed: {moved}")
