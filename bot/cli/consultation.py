"""``linkage consultation ...``: consultation meetings (专题协商会, 远程协商) from the command line.

Each command runs in one transaction through the same functions as the chat
(``handlers/consultation/``); the messages it causes are outbox rows the running bot sends,
its timers are picked up by the bot's scheduler. Times are Asia/Shanghai.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import support as cli_support
from bot.settings import Settings


_run = cli_support.run_in_ctx


@click.group()
def consultation() -> None:
    """Consultation meetings (专题协商会): venues, RSVPs, statements, live comments, 发言摘登."""


@consultation.command("add")
@click.option("--title", required=True)
@click.option("--theme", required=True, help="what the meeting consults on")
@click.option("--committee", required=True, help="the organising committee's code (seeds/committees.yaml)")
@click.option("--starts", required=True, help='Asia/Shanghai, e.g. "2026-12-10 14:30"')
@click.option("--ends", required=True, help='Asia/Shanghai, e.g. "2026-12-10 17:00"')
@click.option("--audience", "audience_spec", required=True,
              help="all | level:city | district:hongqiao | committee:X | sector:X | list:C001,H002")
@click.option("--host", help="roster id of the host, who gets the live comments (default: the committee's staff)")
@click.option("--statements-by", help="the written statements' deadline (default: the start)")
@click.pass_obj
def add(settings: Settings, **fields) -> None:
    """Add a meeting (a draft: then venues, then announce)."""
    from handlers.consultation.meetings import add_meeting
    from handlers.core.localtime import show_span
    row = _run(settings, lambda ctx: add_meeting(ctx, **fields))
    click.echo(f"consultation #{row.id} drafted: {show_span(row.starts_at, row.ends_at)} Asia/Shanghai; "
               f"next: linkage consultation venues {row.id} --main \"PLACE|LINK\" [--sub \"NAME|PLACE|LINK\" ...]")


@consultation.command("venues")
@click.argument("meeting_id", type=int)
@click.option("--main", "main", required=True, help='the main venue (主会场): "PLACE|LINK" (either may be empty)')
@click.option("--sub", "subs", multiple=True, help='a sub-venue (分会场): "NAME|PLACE|LINK"; repeat for each')
@click.pass_obj
def venues(settings: Settings, meeting_id: int, main: str, subs: tuple[str, ...]) -> None:
    """Set the venues of a drafted meeting (replacing earlier ones); prints their check-in codes."""
    from handlers.consultation.meetings import set_venues
    rows = _run(settings, lambda ctx: set_venues(ctx, meeting_id, main=main, subs=list(subs)))
    for v in rows:
        click.echo(f"{v.kind:4}  {v.name}  place: {v.place or '-'}  link: {v.link or '-'}  check-in code {v.checkin_code}")


@consultation.command("announce")
@click.argument("meeting_id", type=int)
@click.pass_obj
def announce(settings: Settings, meeting_id: int) -> None:
    """Send the invitation cards and schedule the reminders (48 h and 2 h before)."""
    from handlers.consultation.meetings import announce
    count = _run(settings, lambda ctx: announce(ctx, meeting_id))
    click.echo(f"consultation #{meeting_id} announced to {count} member(s)")


@consultation.command("room")
@click.argument("meeting_id", type=int)
@click.pass_obj
def room(settings: Settings, meeting_id: int) -> None:
    """A one-time key for the meeting's group: an admin of that group sends /bind KEY there."""
    from handlers.consultation.meetings import room_key
    key = _run(settings, lambda ctx: room_key(ctx, meeting_id))
    click.echo(f"/bind {key}")


@consultation.command("order")
@click.argument("meeting_id", type=int)
@click.argument("statement_ids")
@click.pass_obj
def order(settings: Settings, meeting_id: int, statement_ids: str) -> None:
    """Order the accepted statements: STATEMENT_IDS like 3,1,2."""
    from handlers.consultation.meetings import order
    try:
        ids = [int(part) for part in statement_ids.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter("statement ids separated by commas, e.g. 3,1,2") from None
    _run(settings, lambda ctx: order(ctx, meeting_id, ids))
    click.echo(f"order of consultation #{meeting_id}: {', '.join(map(str, ids))}")


@consultation.command("speaker")
@click.argument("statement_id", type=int)
@click.option("--off", is_flag=True, help="no longer speaks in person")
@click.pass_obj
def speaker(settings: Settings, statement_id: int, off: bool) -> None:
    """Mark the author of an accepted statement as speaking in person (they are told)."""
    from handlers.consultation.meetings import speaker
    _run(settings, lambda ctx: speaker(ctx, statement_id, in_person=not off))
    click.echo(f"statement #{statement_id}: {'written only' if off else 'speaks in person'}")


@consultation.command("decide")
@click.argument("statement_id", type=int)
@click.argument("decision", type=click.Choice(["accept", "return"]))
@click.option("--note", default="", help="what the author should change (needed to return it)")
@click.pass_obj
def decide(settings: Settings, statement_id: int, decision: str, note: str) -> None:
    """Accept a submitted statement or return it with a note; its author is told."""
    from handlers.consultation.statements import decide_statement
    _run(settings, lambda ctx: decide_statement(ctx, statement_id, accept=decision == "accept", note=note))
    click.echo(f"statement #{statement_id}: {'accepted' if decision == 'accept' else 'returned'}")


@consultation.command("request")
@click.argument("request_id", type=int)
@click.argument("decision", type=click.Choice(["accept", "decline"]))
@click.pass_obj
def request(settings: Settings, request_id: int, decision: str) -> None:
    """Accept or decline a request to speak; its author is told."""
    from handlers.consultation.statements import decide_request
    _run(settings, lambda ctx: decide_request(ctx, request_id, accept=decision == "accept"))
    click.echo(f"request to speak #{request_id}: {decision}ed")


@consultation.command("respond")
@click.argument("statement_id", type=int)
@click.option("--department", required=True, help="the department's code (linkage department list)")
@click.option("--body", required=True)
@click.pass_obj
def respond(settings: Settings, statement_id: int, department: str, body: str) -> None:
    """Record a department's response to a statement; its author is told."""
    from handlers.consultation.meetings import respond
    response_id = _run(settings, lambda ctx: respond(ctx, statement_id, department=department, body=body))
    click.echo(f"response #{response_id} recorded; the author is told")


def _push(settings: Settings, meeting_id: int, kind: str, file: Path) -> None:
    from handlers.consultation.meetings import push_file
    count = _run(settings, lambda ctx: push_file(ctx, meeting_id, kind, file))
    click.echo(f"{kind} of consultation #{meeting_id} queued for {count} participant(s)")


@consultation.command("materials")
@click.argument("meeting_id", type=int)
@click.option("--file", "file", required=True, type=click.Path(path_type=Path))
@click.pass_obj
def materials(settings: Settings, meeting_id: int, file: Path) -> None:
    """Send a document to the participants (those who said they come, or checked in)."""
    _push(settings, meeting_id, "materials", file)


@consultation.command("minutes")
@click.argument("meeting_id", type=int)
@click.option("--file", "file", required=True, type=click.Path(path_type=Path))
@click.pass_obj
def minutes(settings: Settings, meeting_id: int, file: Path) -> None:
    """Send the minutes to the participants."""
    _push(settings, meeting_id, "minutes", file)


@consultation.command("export")
@click.argument("meeting_id", type=int)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="F.docx (发言摘登) or F.xlsx (workbook)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def export(settings: Settings, meeting_id: int, out: Path, lang: str) -> None:
    """The compilation of statements (.docx) or the workbook (.xlsx)."""
    from handlers.consultation.export import export
    path = _run(settings, lambda ctx: export(ctx, meeting_id, out, lang=lang))
    click.echo(f"written: {path}")


@consultation.command("list")
@click.pass_obj
def list_(settings: Settings) -> None:
    """Every meeting with its time and status."""
    from handlers.core.localtime import show_span
    from storage import consultation as store
    rows = _run(settings, lambda ctx: store.meetings(ctx.conn))
    for m in rows:
        click.echo(f"#{m.id}  {show_span(m.starts_at, m.ends_at)}  {m.status:9}  {m.committee_code}  {m.title}")
    if not rows:
        click.echo("no consultations")


@consultation.command("show")
@click.argument("meeting_id", type=int)
@click.pass_obj
def show(settings: Settings, meeting_id: int) -> None:
    """One meeting: venues and codes, RSVPs by venue, statements, requests, comments."""
    from handlers.consultation.meetings import summary
    from handlers.core.localtime import show_span, shown
    info = _run(settings, lambda ctx: summary(ctx.conn, meeting_id))
    if info is None:
        raise click.ClickException(f"no consultation #{meeting_id}")
    m, answers = info["meeting"], info["answers"]
    click.echo(f"consultation #{m.id}: {m.title} ({m.status}), committee {m.committee_code}")
    click.echo(f"{show_span(m.starts_at, m.ends_at)} Asia/Shanghai; statements by {shown(m.statements_by)}; "
               f"host {info['host'].roster_id + ' ' + info['host'].name if info['host'] else '-'}")
    for v in info["venues"]:
        click.echo(f"  {v.kind:4} {v.name}: {answers['by_venue'][v.id]} coming; code {v.checkin_code}; "
                   f"{v.place or '-'} {v.link or ''}")
    click.echo(f"invited {info['invited']}: online {answers['online']}, cannot attend {answers['absent']}, "
               f"not answered {answers['invited']}; checked in {info['checked_in']}")
    for s in info["statements"]:
        click.echo(f"  statement #{s.id} [{s.status}] pos {s.position or '-'}{' in person' if s.in_person else ''}: "
                   f"{s.roster_id} {s.name} — {s.title}")
    for q in info["requests"]:
        click.echo(f"  request #{q.id} [{q.status}]: {q.roster_id} {q.name} — {q.topic}")
    click.echo(f"live comments {info['comments']}; department responses {info['responses']}")
