"""``linkage summary send --year YYYY [--dry-run]``: the office fills a year's summary by hand (the
bot's timer sends it at ``year_summary_at`` by itself); members who already have theirs are
skipped, so it never goes twice."""

from __future__ import annotations

import click

from bot.cli.support import run_in_ctx
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
