"""``linkage deliberation ...``: 网络议政 from the command line (the server's operator acts for a
committee). The same functions as the chat (``handlers/deliberation/topics.py``); what they send
is written to the outbox for the running bot's sender, the timers they add to its scheduler."""

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


def _text(body: str | None, file: str | None, what: str) -> str:
    if bool(body) == bool(file):
        raise click.UsageError(f"give the {what} as --body or --file (one of them)")
    return body if body else Path(file).read_text(encoding="utf-8")


@click.group()
def deliberation() -> None:
    """Online deliberation (网络议政): topics, contributions, moderation, conclusions."""


@deliberation.command("open")
@click.option("--title", required=True)
@click.option("--committee", required=True, help="the committee's code, e.g. social_legal")
@click.option("--audience", "audience_spec", default="all", show_default=True,
              help="all | level:city | district:hongqiao | committee:X | sector:X | list:C001,H002")
@click.option("--closes", required=True, help='Asia/Shanghai, e.g. "2026-12-20 18:00"')
@click.option("--opens", help="Asia/Shanghai; default now (a later time sends the cards then)")
@click.option("--body", help="the background, as text")
@click.option("--file", type=click.Path(exists=True, dir_okay=False), help="the background from a UTF-8 text file")
@click.option("--link", help="a link to more background (http:// or https://)")
@click.option("--question", "questions", multiple=True, help="a question to answer (up to 5; repeat the option)")
@click.pass_obj
def open_(settings: Settings, body: str | None, file: str | None, **fields) -> None:
    """Open a topic to its audience."""
    from handlers.core.localtime import shown
    from handlers.deliberation.topics import open_topic
    background = _text(body, file, "background")
    row = _run(settings, lambda ctx: open_topic(ctx, body=background, **fields))
    when = "now" if row.status == "open" else f"at {shown(row.opens_at)}"
    click.echo(f"deliberation #{row.id} opens {when}, closes {shown(row.closes_at)} Asia/Shanghai")


@deliberation.command("list")
@click.pass_obj
def list_(settings: Settings) -> None:
    """Every topic, newest first, with its counts."""
    from handlers.core.localtime import shown
    from handlers.deliberation.summary import listing
    rows = _run(settings, lambda ctx: listing(ctx.conn))
    if not rows:
        click.echo("no deliberation topics yet")
    for topic, c in rows:
        click.echo(f"#{topic.id}  {topic.status:9}  closes {shown(topic.closes_at)}  {topic.committee_code}  "
                   f"{c['contributions']} contributions, {c['replies']} replies, {c['participants']} participants  "
                   f"{topic.title}")


@deliberation.command("show")
@click.argument("deliberation_id", type=int)
@click.pass_obj
def show(settings: Settings, deliberation_id: int) -> None:
    """One topic and everything said on it (authors by name: this is the committee's view)."""
    from handlers.core.localtime import shown
    from handlers.deliberation.common import topic_or_fail
    from handlers.core.audience import audience_text
    from storage import deliberation as store

    async def work(ctx):
        topic = await topic_or_fail(ctx.conn, deliberation_id)
        return topic, await store.not_withdrawn(ctx.conn, topic.id)
    topic, rows = _run(settings, work)
    click.echo(f"deliberation #{topic.id}: {topic.title} ({topic.status})")
    click.echo(f"committee {topic.committee_code}, audience {audience_text(topic.audience)}, "
               f"{shown(topic.opens_at)} – {shown(topic.closes_at)}")
    for n, question in enumerate(topic.questions, 1):
        click.echo(f"  Q{n}. {question}")
    numbers = {r.id: r.number for r in rows}
    for r in rows:
        reply = f" reply to #{numbers.get(r.parent_id)}" if r.parent_id else ""
        flags = "".join([" [hidden: " + (r.hidden_reason or "") + "]" if r.status == "hidden" else "",
                         " [pinned]" if r.pinned else ""])
        click.echo(f"#{r.number} (id {r.id}){reply} Q{r.question or '-'} {r.roster_id} {r.name} "
                   f"({r.naming}){flags}: {r.text}")
    if topic.conclusion:
        click.echo(f"conclusion ({shown(topic.concluded_at)}): {topic.conclusion}")


@deliberation.command("close")
@click.argument("deliberation_id", type=int)
@click.pass_obj
def close(settings: Settings, deliberation_id: int) -> None:
    """Close a topic now: the committee gets the summary and the export."""
    from handlers.deliberation.topics import close_topic
    path = _run(settings, lambda ctx: close_topic(ctx, deliberation_id))
    click.echo(f"deliberation #{deliberation_id} closed; the committee's export: {path}")


@deliberation.command("export")
@click.argument("deliberation_id", type=int)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="F.xlsx (or .csv)")
@click.pass_obj
def export(settings: Settings, deliberation_id: int, out: str) -> None:
    """Everything said on a topic but what was withdrawn (hidden ones marked; authors by name)."""
    from handlers.deliberation.common import topic_or_fail
    from handlers.deliberation.summary import write_export

    async def work(ctx):
        return await write_export(ctx.conn, await topic_or_fail(ctx.conn, deliberation_id), Path(out))
    count = _run(settings, work)
    click.echo(f"{count} rows written to {out}")


@deliberation.command("conclude")
@click.argument("deliberation_id", type=int)
@click.option("--body")
@click.option("--file", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def conclude(settings: Settings, deliberation_id: int, body: str | None, file: str | None) -> None:
    """Post the committee's conclusion (议政结论); every participant gets it."""
    from handlers.deliberation.topics import conclude as post
    text = _text(body, file, "conclusion")
    count = _run(settings, lambda ctx: post(ctx, deliberation_id, text))
    click.echo(f"conclusion of #{deliberation_id} queued for {count} participants")


@deliberation.command("hide")
@click.argument("contribution_id", type=int)
@click.option("--reason", required=True)
@click.pass_obj
def hide(settings: Settings, contribution_id: int, reason: str) -> None:
    """Hide a contribution (by its id, see show); the author is told the reason."""
    _moderate(settings, contribution_id, "hide", reason)
    click.echo(f"contribution {contribution_id} hidden; the author is told why")


@deliberation.command("pin")
@click.argument("contribution_id", type=int)
@click.pass_obj
def pin(settings: Settings, contribution_id: int) -> None:
    """Pin a contribution: it comes first on the thread page."""
    _moderate(settings, contribution_id, "pin", None)
    click.echo(f"contribution {contribution_id} pinned")


def _moderate(settings: Settings, contribution_id: int, action: str, reason: str | None) -> None:
    from handlers.deliberation.topics import moderate
    _run(settings, lambda ctx: moderate(ctx, contribution_id, action, reason=reason))


@deliberation.command("room")
@click.argument("deliberation_id", type=int)
@click.option("--hours", type=click.IntRange(min=1), help="how long the key is valid (default LINKAGE_BIND_KEY_HOURS)")
@click.pass_obj
def room(settings: Settings, deliberation_id: int, hours: int | None) -> None:
    """A one-time key for the topic's room: send /bind KEY in its forum topic or group."""
    from handlers.deliberation.topics import room_key
    key = cli_support.run(cli_support.with_db(settings, lambda conn, now: room_key(
        conn, deliberation_id, now, hours=hours or settings.handler_config().bind_key_hours)))
    click.echo(f"/bind {key}")
