"""``linkage oversight ...``: 民主监督 from the command line (the office acts). The same functions
as the chat (``handlers/oversight/``); what they send goes to the outbox for the running bot's
sender, the timers they add to its scheduler."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import support as cli_support
from bot.settings import Settings


def _run(settings: Settings, work):
    return cli_support.run_in_ctx(settings, work)


def _ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.UsageError(f"item ids are numbers separated by commas, not {text!r}") from None


@click.group()
def oversight() -> None:
    """Oversight (民主监督): items, department replies, ratings, inspections."""


@oversight.command("open")
@click.option("--subject", required=True)
@click.option("--department", required=True, help="the responsible department's code (linkage department list)")
@click.option("--promise", required=True, help="what was promised")
@click.option("--report", help="the report it comes from (its code, SQ-…): its author and co-signers rate")
@click.option("--statement", type=int, help="the consultation statement it comes from (its id): its author rates")
@click.option("--committee", help="the committee that follows it up (its staff may act); default: the office")
@click.option("--raised-by", help="an item of its own: roster numbers of the members who rate, e.g. C001,H001")
@click.option("--due-days", type=int, help="working days the department has to reply (default 15)")
@click.pass_obj
def open_(settings: Settings, raised_by: str | None, **fields) -> None:
    """Open an oversight item."""
    from handlers.oversight.items import open_item
    refs = [r for r in (raised_by or "").split(",") if r.strip()]
    row = _run(settings, lambda ctx: open_item(ctx, raised_by=refs, **fields))
    click.echo(f"oversight item #{row.id} opened: {row.subject} ({row.department_code}); "
               f"{len(row.raisers)} members will rate the reply")


@oversight.command("send")
@click.argument("item_id", type=int)
@click.option("--due-days", type=int, help="working days the department has to reply (default: the item's)")
@click.option("--reason", default="", help="a note for the step (how it was sent)")
@click.pass_obj
def send(settings: Settings, item_id: int, due_days: int | None, reason: str) -> None:
    """Record that the item was sent to its department: its working-day clock starts."""
    from handlers.core.localtime import shown
    from handlers.oversight.items import send_item
    row = _run(settings, lambda ctx: send_item(ctx, item_id, due_days=due_days, reason=reason))
    click.echo(f"oversight item #{row.id} sent to the department; reply due {shown(row.due_at)} Asia/Shanghai")


@oversight.command("reply")
@click.argument("item_id", type=int)
@click.option("--text", required=True, help="the department's reply")
@click.option("--file", type=click.Path(exists=True, dir_okay=False), help="the reply's document")
@click.pass_obj
def reply(settings: Settings, item_id: int, text: str, file: str | None) -> None:
    """Record the department's reply; the members who raised the item are asked to rate it."""
    from handlers.oversight.items import record_reply
    row = _run(settings, lambda ctx: record_reply(ctx, item_id, text=text, file=file))
    click.echo(f"reply recorded on oversight item #{row.id} (round {row.round}); "
               f"{len(row.raisers)} members are asked to rate it")


@oversight.command("close")
@click.argument("item_id", type=int)
@click.option("--reason", default="", help="needed unless the members have rated the reply")
@click.pass_obj
def close(settings: Settings, item_id: int, reason: str) -> None:
    """Close an item."""
    from handlers.oversight.items import close_item
    _run(settings, lambda ctx: close_item(ctx, item_id, reason=reason))
    click.echo(f"oversight item #{item_id} closed")


@oversight.command("inspect")
@click.argument("item_ids")
@click.option("--title", required=True)
@click.option("--start", required=True, help='Asia/Shanghai, e.g. "2026-12-10 09:00"')
@click.option("--end", required=True)
@click.option("--place")
@click.option("--link")
@click.option("--audience", "audience_spec", default="all", show_default=True)
@click.option("--capacity", type=int)
@click.option("--reminders", help="minutes before the start, e.g. 2880,120")
@click.pass_obj
def inspect(settings: Settings, item_ids: str, **fields) -> None:
    """An inspection (视察) of items (ids, e.g. 1,2): a study-calendar session, announced."""
    from handlers.oversight.inspections import create_inspection
    row = _run(settings, lambda ctx: create_inspection(ctx, _ids(item_ids), **fields))
    click.echo(f"inspection: study session #{row.id} announced, linked to items {item_ids}")


@oversight.command("link")
@click.argument("item_ids")
@click.option("--session", "session_id", type=int, required=True, help="a study session's id")
@click.pass_obj
def link(settings: Settings, item_ids: str, session_id: int) -> None:
    """Link an existing study session (a visit) to items as their inspection."""
    from handlers.oversight.inspections import link_session
    _run(settings, lambda ctx: link_session(ctx, _ids(item_ids), session_id))
    click.echo(f"study session #{session_id} linked to items {item_ids}")


@oversight.command("list")
@click.option("--status", help="only items in this status (opened, sent_to_department, …)")
@click.pass_obj
def list_(settings: Settings, status: str | None) -> None:
    """Every item, newest first."""
    from handlers.core.localtime import shown
    from storage import oversight as store
    rows = _run(settings, lambda ctx: store.listing(ctx.conn, status=status))
    if not rows:
        click.echo("no oversight items")
    for r in rows:
        due = f"  due {shown(r.due_at)}" if r.due_at and r.status in ("sent_to_department", "reopened") else ""
        click.echo(f"#{r.id}  {r.status:20} round {r.round}  {r.department_code}{due}  {r.subject}")


@oversight.command("show")
@click.argument("item_id", type=int)
@click.pass_obj
def show(settings: Settings, item_id: int) -> None:
    """One item with its steps, replies, ratings, inspections and findings."""
    from handlers.core.localtime import shown
    from handlers.oversight.common import item_or_fail
    from handlers.oversight.export import actor_shown, source_of
    from storage import oversight as store

    async def work(ctx):
        await item_or_fail(ctx.conn, item_id)
        row = await store.with_department(ctx.conn, item_id)
        return (row, await source_of(ctx.conn, row), await store.steps(ctx.conn, item_id),
                await store.replies(ctx.conn, item_id), await store.ratings(ctx.conn, item_id),
                await store.sessions_of(ctx.conn, item_id), await store.findings(ctx.conn, item_id))
    row, (ref, report), steps, replies, ratings, sessions, findings = _run(settings, work)
    hidden = report.author_id if report is not None and report.privacy != "named" else None
    click.echo(f"oversight item #{row.id}: {row.subject} ({row.status}, round {row.round})")
    click.echo(f"department {row.department_code} ({row.department_zh}); source {row.source_kind} {ref}; "
               f"committee {row.committee_code or '-'}; {row.due_days} working days to reply"
               + (f", due {shown(row.due_at)}" if row.due_at else ""))
    click.echo(f"promised: {row.promise}")
    for s in steps:
        who = actor_shown(s.actor, hidden, lambda msgid: "anonymous member")
        click.echo(f"  step {shown(s.at)} {s.status_from or '-'} -> {s.status_to} by {who}"
                   + (f": {s.reason}" if s.reason else ""))
    for r in replies:
        click.echo(f"  reply round {r.round} ({shown(r.at)}, {r.recorded_by}): {r.text}"
                   + (f" [{r.file_name}]" if r.file_name else ""))
    for r in ratings:
        who = "anonymous member" if r.member_id == hidden else f"{r.roster_id} {r.name}"
        click.echo(f"  rating round {r.round} {who}: {r.rating} — {r.reason}")
    for s in sessions:
        click.echo(f"  inspection: study session #{s.id} {s.title} {shown(s.starts_at)}")
    for f in findings:
        click.echo(f"  finding ({f.session_title}) {f.roster_id} {f.name}: {f.text}")


@oversight.command("export")
@click.option("--year", type=int, required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="F.xlsx")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def export(settings: Settings, year: int, out: str, lang: str) -> None:
    """The year's items with their steps, replies, ratings, inspections and findings (XLSX)."""
    from handlers.oversight.export import write_export
    if not out.lower().endswith(".xlsx"):
        raise click.UsageError("the export is a workbook: --out F.xlsx")
    count = _run(settings, lambda ctx: write_export(ctx.conn, year, Path(out), lang))
    click.echo(f"{count} oversight items written to {out}")
