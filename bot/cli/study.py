"""``linkage study ...``: the study calendar from the command line.

Each command opens its own transaction on the bot's database and goes through the same
framework-free functions as the chat (``handlers/study/``); the messages it causes are outbox
rows that the running bot's sender delivers, and the timers it adds are picked up by the bot's
scheduler on its next tick. Times are Asia/Shanghai.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import support as cli_support
from bot.settings import Settings


_run = cli_support.run_in_ctx


@click.group()
def study() -> None:
    """Study sessions (委员学习, 读书班, training, 履职直播) and reading plans."""


@study.command("add")
@click.option("--title", required=True)
@click.option("--kind", required=True, help="study | reading | training | live (or 委员学习, 读书班, 培训, 履职直播)")
@click.option("--start", required=True, help='Asia/Shanghai, e.g. "2026-12-03 14:30"')
@click.option("--end", required=True, help='Asia/Shanghai, e.g. "2026-12-03 16:30"')
@click.option("--place")
@click.option("--link", help="online link (http:// or https://)")
@click.option("--audience", "audience_spec", default="all", show_default=True,
              help="all | level:city | district:hongqiao | committee:X | sector:X | list:C001,H002")
@click.option("--capacity", type=click.IntRange(min=1), help="places; later answers go to a waiting list")
@click.option("--reminders", help="minutes before the start, e.g. 2880,120 (default: the settings')")
@click.option("--draft", is_flag=True, help="do not announce yet (then: linkage study announce ID)")
@click.pass_obj
def add(settings: Settings, draft: bool, **fields) -> None:
    """Add a session; it is announced to its audience at once unless --draft."""
    from handlers.study.sessions import add_session
    from handlers.core.localtime import show_span
    row = _run(settings, lambda ctx: add_session(ctx, draft=draft, **fields))
    click.echo(f"session #{row.id} {'drafted' if draft else 'announced'}: {show_span(row.starts_at, row.ends_at)} "
               f"Asia/Shanghai; check-in code {row.checkin_code}")


@study.command("announce")
@click.argument("session_id", type=int)
@click.pass_obj
def announce(settings: Settings, session_id: int) -> None:
    """Announce a drafted session to its audience."""
    from handlers.study.sessions import announce
    count = _run(settings, lambda ctx: announce(ctx, session_id))
    click.echo(f"session #{session_id} announced to {count} member(s)")


@study.command("list")
@click.option("--all", "include_past", is_flag=True, help="also sessions that ended more than a week ago")
@click.pass_obj
def list_(settings: Settings, include_past: bool) -> None:
    """Sessions with their counts (attending / excused / waiting / checked in)."""
    from handlers.study.views import list_sessions
    views = _run(settings, lambda ctx: list_sessions(ctx.conn, ctx.now, include_past=include_past))
    for view in views:
        click.echo(view.summary())
    if not views:
        click.echo("no sessions")


@study.command("show")
@click.argument("session_id", type=int)
@click.pass_obj
def show(settings: Settings, session_id: int) -> None:
    """One session: RSVPs, waiting list, attendance."""
    from handlers.study.views import show_session
    view = _run(settings, lambda ctx: show_session(ctx.conn, session_id))
    for line in view.lines():
        click.echo(line)


@study.command("cancel")
@click.argument("session_id", type=int)
@click.pass_obj
def cancel(settings: Settings, session_id: int) -> None:
    """Cancel a session: its reminders are dropped and everyone invited is told."""
    from handlers.study.sessions import cancel_session
    told = _run(settings, lambda ctx: cancel_session(ctx, session_id))
    click.echo(f"session #{session_id} cancelled; {told} member(s) told")


@study.command("edit")
@click.argument("session_id", type=int)
@click.option("--title")
@click.option("--place")
@click.option("--link", help='online link (http:// or https://); "" removes it')
@click.option("--start", help='Asia/Shanghai, e.g. "2026-12-03 14:30"')
@click.option("--end", help="Asia/Shanghai")
@click.pass_obj
def edit(settings: Settings, session_id: int, **fields) -> None:
    """Change a session's title, place, link or time; everyone invited is told of a new time or
    place (and the reminders follow a new time)."""
    from handlers.study.sessions import KEEP, edit_session
    from handlers.core.localtime import show_span
    changes = {k: KEEP if v is None else v for k, v in fields.items()}
    row = _run(settings, lambda ctx: edit_session(ctx, session_id, **changes))
    click.echo(f"session #{row.id}: {row.title}, {show_span(row.starts_at, row.ends_at)} Asia/Shanghai, "
               f"{row.place or row.link}")


@study.command("materials")
@click.argument("session_id", type=int)
@click.option("--link")
@click.option("--file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a document the bot uploads (keep it where it is until it is sent)")
@click.option("--file-id", help="a Telegram file_id the bot already knows")
@click.option("--name", help="what to call the materials")
@click.option("--to", type=click.Choice(["attended", "invited"]), default="attended", show_default=True,
              help="those who checked in, or everyone invited")
@click.pass_obj
def materials(settings: Settings, session_id: int, **fields) -> None:
    """Materials pushed after the session (at once if it is over)."""
    from handlers.study.sessions import set_materials
    outcome = _run(settings, lambda ctx: set_materials(ctx, session_id, **fields))
    click.echo(f"materials of session #{session_id}: {outcome}")


@study.command("code")
@click.argument("session_id", type=int)
@click.pass_obj
def code(settings: Settings, session_id: int) -> None:
    """Print the session's check-in code (valid from 15 minutes before the start to the end)."""
    from handlers.study.views import checkin_code
    click.echo(_run(settings, lambda ctx: checkin_code(ctx.conn, session_id)))


@study.group()
def plan() -> None:
    """Reading plans with a daily reminder and check-in."""


@plan.command("add")
@click.option("--title", required=True)
@click.option("--start-date", required=True, help="Asia/Shanghai date of day 1, e.g. 2026-12-07")
@click.option("--days", required=True,
              help='one entry per day, separated by ";": "self-study:读…;lecture:…;self-study+lecture:…;discussion:…"')
@click.option("--audience", "audience_spec", default="all", show_default=True)
@click.option("--remind-at", help="daily reminder time, Asia/Shanghai (default: the settings', 08:30)")
@click.pass_obj
def plan_add(settings: Settings, **fields) -> None:
    """Add a reading plan; its audience is told at once."""
    from handlers.study.plans import add_plan
    plan_id = _run(settings, lambda ctx: add_plan(ctx, **fields))
    click.echo(f"plan #{plan_id} added")


@plan.command("list")
@click.pass_obj
def plan_list(settings: Settings) -> None:
    """Reading plans, their days and daily check-ins."""
    from handlers.study.views import list_plans
    views = _run(settings, lambda ctx: list_plans(ctx.conn))
    for view in views:
        for line in view.lines():
            click.echo(line)
    if not views:
        click.echo("no plans")


@plan.command("cancel")
@click.argument("plan_id", type=int)
@click.pass_obj
def plan_cancel(settings: Settings, plan_id: int) -> None:
    """Stop a plan's daily reminders."""
    from handlers.study.plans import cancel_plan
    dropped = _run(settings, lambda ctx: cancel_plan(ctx, plan_id))
    click.echo(f"plan #{plan_id} cancelled; {dropped} daily reminder(s) dropped")
