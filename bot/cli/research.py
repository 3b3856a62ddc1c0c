"""``linkage research ...``: 调查研究 from the command line (the server's operator acts for a
committee or the office). The same functions as the chat (``handlers/research/projects.py``);
what they send is written to the outbox for the running bot's sender, the timers they add to its
scheduler."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import support as cli_support
from bot.settings import Settings
from handlers.core.context import Ctx
from handlers.features import REGISTRY


def _run(settings: Settings, work):
    return cli_support.run(cli_support.with_db(
        settings, lambda conn, now: work(Ctx.offline(conn, now, settings.handler_config(), REGISTRY))))


@click.group()
def research() -> None:
    """Research projects (调查研究): proposals, projects, visits, findings, the research paper."""


@research.command("open")
@click.option("--title", required=True)
@click.option("--committee", help="the directing committee's code, e.g. social_legal (default: the office)")
@click.option("--goal", required=True, help="what the research is for")
@click.option("--question", "questions", multiple=True, help="a question it sets out to answer (repeat the option)")
@click.option("--select", "select_by", required=True, help="选准课题 by this date, YYYY-MM-DD")
@click.option("--visit", "visit_by", required=True, help="深入调研走访 by this date")
@click.option("--exchange", "exchange_by", required=True, help="交流调研成果 by this date")
@click.option("--capacity", type=click.IntRange(min=1), help="places (default: no limit)")
@click.option("--proposal", "proposal_id", type=int, help="the proposal it takes up (its member is told)")
@click.pass_obj
def open_(settings: Settings, select_by: str, visit_by: str, exchange_by: str, proposal_id: int | None,
          **fields) -> None:
    """Open a project; every member gets the call to take part."""
    from handlers.research.projects import open_project, pending_proposal

    async def work(ctx):
        if proposal_id is not None:
            await pending_proposal(ctx.conn, proposal_id)
        return await open_project(ctx, steps=(select_by, visit_by, exchange_by), proposal_id=proposal_id, **fields)
    row = _run(settings, work)
    click.echo(f"research project #{row.id} open; the call goes to every member")


@research.command("list")
@click.pass_obj
def list_(settings: Settings) -> None:
    """Every project, newest first, with its counts; then the proposals waiting."""
    from handlers.core.localtime import shown
    from handlers.research.overview import listing
    rows, waiting = _run(settings, lambda ctx: listing(ctx.conn))
    if not rows:
        click.echo("no research projects yet")
    for p, joined, findings in rows:
        places = f"{joined}/{p.capacity}" if p.capacity else f"{joined}"
        click.echo(f"#{p.id}  {p.status:8}  until {shown(p.ends_at)}  {p.committee_code or 'office'}  "
                   f"{places} joined, {findings} findings  {p.title}")
    for p in waiting:
        click.echo(f"proposal #{p.id} (pending, to {p.committee_code or 'office'}): {p.title}")


@research.command("show")
@click.argument("project_id", type=int)
@click.pass_obj
def show(settings: Settings, project_id: int) -> None:
    """One project: its steps, participants, visits and findings (names: this is the directors' view)."""
    from handlers.core.localtime import shown, show_span
    from handlers.research.overview import details
    view = _run(settings, lambda ctx: details(ctx.conn, project_id))
    p = view.project
    click.echo(f"research project #{p.id}: {p.title} ({p.status}), {p.committee_code or 'office'}, "
               f"places {p.capacity or 'no limit'}")
    click.echo(f"goal: {p.goal}")
    for n, q in enumerate(p.questions, 1):
        click.echo(f"  Q{n}. {q}")
    for m in view.steps:
        done = f", done {shown(m.done_at)}" if m.done_at else ""
        click.echo(f"  step {m.id} {m.step}: by {shown(m.due_at)}{done}")
    for a in view.answers:
        click.echo(f"  {a.roster_id} {a.name}: {a.status}, {view.attended.get(a.member_id, 0)} visits attended")
    for v in view.visits:
        click.echo(f"  visit: session #{v.id} {show_span(v.starts_at, v.ends_at)} {v.title}")
    for f in view.findings:
        click.echo(f"  finding #{f.id} {shown(f.created_at)} {f.roster_id} {f.name}: {f.text}"
                   + (f" [{f.file_kind}]" if f.file_kind else ""))
    if p.reported_at:
        click.echo(f"research paper delivered {shown(p.reported_at)}: {p.report_name or ''}")


@research.command("export")
@click.argument("project_id", type=int)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="F.xlsx")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def export(settings: Settings, project_id: int, out: str, lang: str) -> None:
    """The project, its steps, answers, findings and visits as a workbook."""
    from handlers.research.common import project_or_fail
    from handlers.research.export import write_export
    if not out.lower().endswith(".xlsx"):
        raise click.UsageError("--out must name an .xlsx file")

    async def work(ctx):
        return await write_export(ctx.conn, await project_or_fail(ctx.conn, project_id), Path(out), lang)
    count = _run(settings, work)
    click.echo(f"project #{project_id} written to {out} ({count} findings)")


@research.command("visit")
@click.argument("project_id", type=int)
@click.option("--title", required=True)
@click.option("--start", required=True, help='Asia/Shanghai, e.g. "2026-12-20 09:00"')
@click.option("--end", required=True)
@click.option("--place")
@click.option("--link")
@click.option("--capacity", type=click.IntRange(min=1))
@click.pass_obj
def visit(settings: Settings, project_id: int, **fields) -> None:
    """A field visit (调研走访): a study-calendar session for the participants (RSVP, reminders, check-in)."""
    from handlers.research.projects import add_visit
    session = _run(settings, lambda ctx: add_visit(ctx, project_id, **fields))
    click.echo(f"field visit: study session #{session.id} announced to the participants "
               f"(check-in code: linkage study code {session.id})")


@research.command("step")
@click.argument("step_id", type=int)
@click.pass_obj
def step(settings: Settings, step_id: int) -> None:
    """Mark a step done (its id: see show); the participants are told."""
    from handlers.research.projects import complete_step
    project, milestone = _run(settings, lambda ctx: complete_step(ctx, step_id))
    click.echo(f"step {milestone.step} of #{project.id} done")


@research.command("paper")
@click.argument("project_id", type=int)
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--summary", default="", help="a few lines for the caption and the digest")
@click.pass_obj
def paper(settings: Settings, project_id: int, path: str, summary: str) -> None:
    """Deliver the research paper (调研报告): to every participant and the office's admins."""
    from handlers.research.projects import deliver_paper
    count = _run(settings, lambda ctx: deliver_paper(ctx, project_id, path=path, summary=summary))
    click.echo(f"research paper of #{project_id} queued for {count} people")


@research.command("decline")
@click.argument("proposal_id", type=int)
@click.option("--reason", required=True)
@click.pass_obj
def decline(settings: Settings, proposal_id: int, reason: str) -> None:
    """Decline a proposed direction; its member is told the reason."""
    from handlers.research.projects import decline_proposal
    _run(settings, lambda ctx: decline_proposal(ctx, proposal_id, reason))
    click.echo(f"proposal #{proposal_id} declined; the member is told why")


@research.command("merge")
@click.argument("proposal_id", type=int)
@click.argument("project_id", type=int)
@click.pass_obj
def merge(settings: Settings, proposal_id: int, project_id: int) -> None:
    """Merge a proposed direction into an open project of its committee; its member is told."""
    from handlers.research.projects import merge_proposal
    _run(settings, lambda ctx: merge_proposal(ctx, proposal_id, project_id))
    click.echo(f"proposal #{proposal_id} merged into project #{project_id}")


@research.command("room")
@click.argument("project_id", type=int)
@click.option("--hours", type=click.IntRange(min=1), help="how long the key is valid (default LINKAGE_BIND_KEY_HOURS)")
@click.pass_obj
def room(settings: Settings, project_id: int, hours: int | None) -> None:
    """A one-time key for the project's room: send /bind KEY in its group or forum topic."""
    from handlers.research.projects import room_key
    key = cli_support.run(cli_support.with_db(settings, lambda conn, now: room_key(
        conn, project_id, now, hours=hours or settings.handler_config().bind_key_hours)))
    click.echo(f"/bind {key}")
