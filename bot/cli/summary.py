"""``linkage summary send --year YYYY [--dry-run]``: the office fills a year's summary by hand (the
bot's timer sends it at ``year_summary_at`` by itself); members who already have theirs are
skipped, so it never goes twice. ``linkage member phones [--district CODE]``: the phone numbers
members gave themselves (``/phone``)."""

from __future__ import annotations

import click

from bot.cli.support import run as _run
from bot.cli.support import run_in_ctx
from bot.cli.support import with_db as _with_db
from bot.settings import Settings


@click.group()
def summary() -> None:
    """The members' yearly summary (their duty record's counts and points)."""


@summary.command("send")
@click.option("--year", type=int, required=True, help="The year to summarise, e.g. 2026.")
@click.option("--dry-run", is_flag=True, help="Count who would get it; send nothing.")
@click.pass_obj
def summary_send(settings: Settings, year: int, dry_run: bool) -> None:
    """Queue each joined member's summary of YEAR not queued yet (the running bot sends them)."""
    from handlers.selfservice.summary import send_year
    count = run_in_ctx(settings, lambda ctx: send_year(ctx, year, dry_run=dry_run))
    if dry_run:
        click.echo(f"would queue {count} summaries of {year} (nothing sent)")
    else:
        click.echo(f"queued {count} summaries of {year}; members who had theirs were skipped")


@click.command("phones")
@click.option("--district", help="Only this district's members (a district code, e.g. hongqiao).")
@click.pass_obj
def member_phones(settings: Settings, district: str | None) -> None:
    """The phone numbers members gave themselves with /phone (roster id, name, number, how, when)."""
    from handlers.core.localtime import shown
    from handlers.selfservice.phone import readable
    from storage import selfservice as store
    rows = _run(_with_db(settings, lambda conn, now: store.phones(conn, district)))
    for row in rows:
        click.echo(f"{row.roster_id:<8} {row.name:<8} {readable(row.phone):<16} {row.source:<8} {shown(row.updated_at)}")
    if not rows:
        click.echo("no member has given a phone number yet")
