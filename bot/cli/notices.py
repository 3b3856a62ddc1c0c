"""``linkage notice ...`` and ``linkage digest ...``: notices with read receipts, digests.

What these commands send is written to the outbox (and the timers table); the running bot's
sender and scheduler pick it up, as they would a handler's work.
"""

from __future__ import annotations

import html
import re

import click

from bot.cli.support import run as _run
from bot.cli.support import with_db as _with_db
from bot.settings import Settings
from handlers.core.context import Ctx
from handlers.core.localtime import local
from handlers.features import REGISTRY

TAG = re.compile(r"<[^>]+>")


def _ctx(settings: Settings, conn, now) -> Ctx:
    return Ctx.offline(conn, now, settings.handler_config(), REGISTRY)


def plain(text: str) -> str:
    """A message as a terminal shows it: HTML tags dropped, entities decoded."""
    return html.unescape(TAG.sub("", text))


@click.group()
def notice() -> None:
    """Notices (通知公告) with read receipts."""


@notice.command("send")
@click.option("--title", required=True)
@click.option("--body", required=True, help="The text; plain text (it is shown as written).")
@click.option("--audience", "audience_text", required=True,
              help="all, level:city, district:hongqiao, committee:..., sector:..., list:C001,C002")
@click.option("--remind-after-hours", type=click.IntRange(min=0),
              help="Remind those who have not read it after this many hours (0 = never; "
                   "default LINKAGE_NOTICE_REMIND_HOURS, 24).")
@click.pass_obj
def notice_send(settings: Settings, title: str, body: str, audience_text: str, remind_after_hours: int | None) -> None:
    """Send a notice to everyone in the audience now."""
    from handlers.core import audience
    from handlers.core.errors import AdminError
    from handlers.notices.notices import send_notice
    try:
        spec = audience.parse(audience_text)
    except AdminError as exc:
        raise click.BadParameter(str(exc), param_hint="--audience") from exc

    async def work(conn, now):
        return await send_notice(_ctx(settings, conn, now), title=title, body=body, spec=spec, sender_id=None,
                                 remind_after_hours=remind_after_hours)
    notice_id, count = _run(_with_db(settings, work))
    hours = settings.notice_remind_hours if remind_after_hours is None else remind_after_hours
    click.echo(f"notice #{notice_id} queued for {count} members"
               + (f"; a reminder goes to those who have not read it after {hours} h" if hours else "; no reminder"))


@notice.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.pass_obj
def notice_list(settings: Settings, limit: int) -> None:
    """The latest notices with their read counts."""
    from storage import notices as store
    rows = _run(_with_db(settings, lambda conn, now: store.recent(conn, limit)))
    if not rows:
        click.echo("no notices yet")
    for row in rows:
        when = local(row.created_at).strftime("%Y-%m-%d %H:%M")
        click.echo(f"#{row.id}  {when}  read {row.read}/{row.recipients}  {row.title}")


@notice.command("show")
@click.argument("notice_id", type=int)
@click.pass_obj
def notice_show(settings: Settings, notice_id: int) -> None:
    """One notice: its audience, read and unread counts, and who has not read it."""
    from handlers.core.audience import audience_text
    from handlers.notices.notices import summary
    info = _run(_with_db(settings, lambda conn, now: summary(conn, notice_id)))
    if info is None:
        raise click.ClickException(f"no notice #{notice_id}")
    n = info["notice"]
    click.echo(f"notice #{n.id}: {n.title}")
    click.echo(f"sent {local(n.created_at):%Y-%m-%d %H:%M} by {info['sender']} "
               f"to {audience_text(n.audience)}")
    click.echo(f"recipients: {info['recipients']}, read: {info['read']}, unread: {info['unread']}")
    if n.remind_after_hours:
        state = (f"sent {local(n.reminded_at):%Y-%m-%d %H:%M}" if n.reminded_at
                 else "pending")
        click.echo(f"reminder after {n.remind_after_hours} h: {state}")
    if info["unread_members"]:
        click.echo("not read yet: " + ", ".join(f"{m.roster_id} {m.name}" for m in info["unread_members"]))


@click.group()
def digest() -> None:
    """Digests: the members' weekly digest, the liaisons' queue, the office's statistics."""


@digest.command("preview")
@click.option("--member", "member_ref", required=True, help="Roster id (or unique name) of the recipient.")
@click.option("--kind", type=click.Choice(["weekly", "liaison", "office"]), default="weekly", show_default=True)
@click.option("--html", "as_html", is_flag=True, help="Print the HTML as it is sent.")
@click.pass_obj
def digest_preview(settings: Settings, member_ref: str, kind: str, as_html: bool) -> None:
    """Print the digest MEMBER would get for the current period (nothing is sent)."""
    from handlers.digests.preview import preview
    from storage import people

    async def work(conn, now):
        member = await people.find(conn, member_ref)
        if member is None:
            raise click.ClickException(f"no member {member_ref!r}")
        return await preview(_ctx(settings, conn, now), member, kind)

    text, chart = _run(_with_db(settings, work))
    click.echo((text if as_html else plain(text)) or f"(nothing: the {kind} digest would not be sent to this member)")
    if chart is not None:
        click.echo(f"chart: {chart}")


async def _send_in_chunks(settings: Settings, kind: str) -> tuple[str, int]:
    """The members' digest as the scheduler queues it: each chunk's end read in a snapshot, its
    drafts written in a short transaction of its own, so a running bot's members are not held up
    (the running bot's sender writes each digest from its draft as it sends)."""
    from bot.clock import Clock
    from handlers.digests import send
    from storage.db import Database

    settings.database_path_ready()
    db, clock = Database(settings.database), Clock()
    try:
        await db.ensure_schema()
        async with db.snapshot() as conn:
            firing = await send.prepare(_ctx(settings, conn, clock.now()), kind,
                                        send.current_due(kind, clock.now(), settings.handler_config()))
        while True:
            async with db.snapshot() as conn:
                chunk = await send.read_chunk(_ctx(settings, conn, clock.now()), firing)
            async with db.transaction() as conn:
                if await send.write_chunk(_ctx(settings, conn, clock.now()), firing, chunk):
                    return firing.period, firing.created
    finally:
        await db.close()


@digest.command("send")
@click.option("--kind", type=click.Choice(["weekly", "daily", "liaison", "office"]), default="weekly",
              show_default=True)
@click.pass_obj
def digest_send(settings: Settings, kind: str) -> None:
    """Queue the digest of the current period now (once per period: a second run adds nothing)."""
    from handlers.digests.send import send_now
    if kind in ("weekly", "daily"):  # to every member: in chunks, beside a running bot
        period, created = _run(_send_in_chunks(settings, kind))
    else:
        period, created = _run(_with_db(settings, lambda conn, now: send_now(_ctx(settings, conn, now), kind)))
    click.echo(f"digest {period}: {created} new outbox rows"
               + ("" if created else " (already queued for this period, or nobody to send it to)"))
