"""``linkage points ...`` and ``linkage record ...``: the office's side of points (积分) — the rules
table, corrections, recompute, the leaderboard, the year's export — and the duty record (履职档案)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from bot.cli.support import run as _run
from bot.cli.support import with_db as _with_db
from bot.settings import Settings
from handlers.features import REGISTRY

ACTOR = "cli"


@click.group()
def points() -> None:
    """Points (积分): rules, corrections, the leaderboard and the export."""


@points.command("rules")
@click.pass_obj
def points_rules(settings: Settings) -> None:
    """The rules table: key, points, monthly cap, label."""
    from storage import points as store
    rules = _run(_with_db(settings, lambda conn, now: store.rules(conn)))
    for rule in rules.values():
        cap = "no cap" if rule.cap_per_month is None else f"cap {rule.cap_per_month}/month"
        click.echo(f"{rule.key:<22} {rule.points:>3}  {cap:<16} {rule.label_zh} / {rule.label_en}")


@points.group("rule")
def points_rule() -> None:
    """Change one rule (applies to entries recorded from then on)."""


@points_rule.command("set")
@click.argument("key")
@click.option("--points", "amount", type=click.IntRange(min=0), required=True)
@click.option("--cap-per-month", type=click.IntRange(min=0), help="The most a member earns by it in a month.")
@click.option("--no-cap", is_flag=True, help="Remove the monthly cap.")
@click.pass_obj
def points_rule_set(settings: Settings, key: str, amount: int, cap_per_month: int | None, no_cap: bool) -> None:
    """Set a rule's points (and cap); audited. Entries already recorded keep their amounts
    (`linkage points recompute` applies the table to the past)."""
    from handlers.points.ledger import set_rule
    if no_cap and cap_per_month is not None:
        raise click.UsageError("give --cap-per-month or --no-cap, not both")
    cap = None if no_cap else (False if cap_per_month is None else cap_per_month)
    _run(_with_db(settings, lambda conn, now: set_rule(conn, key, now, points=amount, cap_per_month=cap,
                                                       actor=ACTOR)))
    capped = " (no cap)" if no_cap else f" (cap {cap_per_month}/month)" if cap_per_month is not None else ""
    click.echo(f"rule {key}: {amount} points{capped}; entries recorded from now on use it")


@points.command("correct")
@click.argument("member_ref")
@click.option("--points", "amount", type=int, required=True, help="Added (negative: taken off).")
@click.option("--reason", required=True)
@click.pass_obj
def points_correct(settings: Settings, member_ref: str, amount: int, reason: str) -> None:
    """A correction: a ledger entry of its own with its reason (audited), never an edit."""
    from handlers.points.ledger import correct
    _run(_with_db(settings, lambda conn, now: correct(conn, member_ref, amount, reason, now, actor=ACTOR)))
    click.echo(f"correction of {amount:+d} points recorded for {member_ref}")


@points.command("recompute")
@click.pass_obj
def points_recompute(settings: Settings) -> None:
    """Rebuild every entry but the corrections from the recorded events, under the current rules."""
    from handlers.points.ledger import recompute
    added = _run(_with_db(settings, lambda conn, now: recompute(conn, REGISTRY, now, actor=ACTOR)))
    click.echo(f"ledger rebuilt: {added} entries from the recorded events (corrections kept)")


@points.command("board")
@click.option("--by", type=click.Choice(["district", "level", "sector"]), default="district", show_default=True)
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 1 January).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True)
@click.pass_obj
def points_board(settings: Settings, by: str, start: datetime | None, end: datetime | None, top: int) -> None:
    """The top members per group for the period. Everyone is ranked here, also members who chose
    not to see their own rank; no member sees another's points."""
    from handlers.points import board, ledger

    async def work(conn, now):
        await ledger.collect(conn, REGISTRY, now)
        first, last = board.window(start and start.date(), end and end.date(), now)
        return await board.board(conn, by, first, last, top=top)

    for name, rows in _run(_with_db(settings, work)):
        click.echo(f"{name}")
        for rank, row in enumerate(rows, start=1):
            click.echo(f"  {rank:>2}. {row.roster_id:<8} {row.name:<10} {row.total:>5}")


@points.command("export")
@click.option("--year", type=click.IntRange(min=2000, max=2100), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="An .xlsx file.")
@click.pass_obj
def points_export(settings: Settings, year: int, out: Path) -> None:
    """The year's points: members × rules with totals, and the ledger sheet."""
    from handlers.points import board, ledger

    async def work(conn, now):
        await ledger.collect(conn, REGISTRY, now)
        return await board.export_year(conn, year, out)

    members, entries = _run(_with_db(settings, work))
    click.echo(f"{out}: {members} members, {entries} ledger entries")


@click.command("record")
@click.argument("member_ref", required=False)
@click.option("--all", "everyone", is_flag=True, help="Every active member, in one workbook.")
@click.option("--year", type=click.IntRange(min=2000, max=2100), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="An .xlsx file (or .pdf for one member).")
@click.pass_obj
def record(settings: Settings, member_ref: str | None, everyone: bool, year: int, out: Path) -> None:
    """The duty record (履职档案) of MEMBER's year, or of every member (--all, .xlsx)."""
    from handlers.points import ledger
    from handlers.points import record as duty
    if everyone == bool(member_ref):
        raise click.UsageError("give a MEMBER or --all")
    if out.suffix.lower() not in ((".xlsx",) if everyone else (".xlsx", ".pdf")):
        raise click.UsageError("--out must end in .xlsx" + ("" if everyone else " or .pdf"))

    async def work(conn, now):
        await ledger.collect(conn, REGISTRY, now)
        if everyone:
            return await duty.write_all(conn, REGISTRY, year, out)
        return await duty.write_member(conn, REGISTRY, member_ref, year, out)

    count = _run(_with_db(settings, work))
    click.echo(f"{out}: " + (f"{count} members" if everyone else f"{count} rows"))
