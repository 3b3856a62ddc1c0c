"""``linkage channel …`` (content channels, their editors, items, feeds and member profiles) and
``linkage publicity week`` (the week's draft for the WeChat official account's editor).

What these commands send is written to the outbox (and the timers table); the running bot's
sender and scheduler pick it up, as they would a handler's work."""

from __future__ import annotations

import click

from bot.cli.support import run as _run
from bot.cli.support import run_in_ctx as _in_ctx
from bot.cli.support import with_db as _with_db
from bot.settings import Settings
from handlers.core.localtime import local


def _when(moment) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


@click.group()
def channel() -> None:
    """Content channels (工作信息, 政协动态, 党建专栏, district channels), feeds and profiles."""


@channel.command("list")
@click.pass_obj
def channel_list(settings: Settings) -> None:
    """Every channel with its editors."""
    from storage import channels as store

    async def work(conn, now):
        return [(c, await store.editors(conn, c.id)) for c in await store.all_channels(conn)]
    for c, editors in _run(_with_db(settings, work)):
        scope = f"district {c.district_code}" if c.district_code else "city"
        names = ", ".join(f"{m.roster_id} {m.name}" for m in editors) or "office admins only"
        click.echo(f"{c.code:20} {c.name_zh} ({scope}) — editors: {names}")


@channel.group("editor")
def editor() -> None:
    """Who may post to a channel (besides the office admins)."""


@editor.command("add")
@click.argument("channel_code")
@click.argument("member_ref")
@click.pass_obj
def editor_add(settings: Settings, channel_code: str, member_ref: str) -> None:
    """Make MEMBER (roster id or unique name) an editor of CHANNEL; a district channel's editors
    must be of that district, a city channel's city-level."""
    from handlers.channels.items import add_editor
    channel, member = _in_ctx(settings, lambda ctx: add_editor(ctx, channel_code, member_ref, "cli"))
    click.echo(f"{member.roster_id} {member.name} now edits {channel.code} ({channel.name_zh})")


@editor.command("remove")
@click.argument("channel_code")
@click.argument("member_ref")
@click.pass_obj
def editor_remove(settings: Settings, channel_code: str, member_ref: str) -> None:
    """MEMBER no longer edits CHANNEL."""
    from handlers.channels.items import channel_by_code
    from storage import audit, people
    from storage import channels as store

    async def work(conn, now):
        channel = await channel_by_code(conn, channel_code)
        member = await people.find(conn, member_ref)
        if member is None or not await store.remove_editor(conn, channel.id, member.id):
            raise click.ClickException(f"{member_ref} is not an editor of {channel_code}")
        await audit.record(conn, "cli", "channel.editor.remove", {"channel": channel.code, "member": member.roster_id},
                           now)
    _run(_with_db(settings, work))
    click.echo(f"{member_ref} no longer edits {channel_code}")


@channel.command("post")
@click.argument("channel_code")
@click.option("--title", required=True)
@click.option("--body", default="", help="The text, plain (shown as written).")
@click.option("--file", "file_path", help="A photo (.jpg, .png) or a document sent with the item.")
@click.option("--link", help="An http(s) link shown under the text.")
@click.option("--at", "at_text", help='Publish at this time (Asia/Shanghai), e.g. "2026-12-05 09:00".')
@click.option("--draft", is_flag=True, help="Keep it as a draft (linkage channel publish ITEM sends it).")
@click.option("--profile", "profile_ref", help="A member profile (委员风采) of this member; needs their consent.")
@click.pass_obj
def channel_post(settings: Settings, channel_code: str, title: str, body: str, file_path: str | None,
                 link: str | None, at_text: str | None, draft: bool, profile_ref: str | None) -> None:
    """Post an item to CHANNEL: now, at a time, or as a draft."""
    from handlers.channels import items
    from handlers.core.localtime import parse_local
    from storage import people
    try:
        at = parse_local(at_text) if at_text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from exc

    async def work(ctx):
        channel = await items.channel_by_code(ctx.conn, channel_code)
        profile_id = None
        if profile_ref:
            member = await people.find(ctx.conn, profile_ref)
            if member is None:
                raise items.ChannelError("no member {profile_ref!r}", profile_ref=profile_ref)
            profile_id = member.id  # items.post refuses it without the member's recorded consent
        return await items.post(ctx, channel, title=title, body=body, link=link, file=items.file_spec(file_path),
                                at=at, draft=draft, kind="profile" if profile_id else "post",
                                profile_member_id=profile_id)
    item_id, state, count = _in_ctx(settings, work)
    if state == "published":
        click.echo(f"item #{item_id} published in {channel_code}: {count} members get it now, the others in their digest")
    elif state == "scheduled":
        click.echo(f"item #{item_id} scheduled for {at_text} (Asia/Shanghai)")
    else:
        click.echo(f"item #{item_id} kept as a draft: linkage channel publish {item_id} sends it")


@channel.command("publish")
@click.argument("item_id", type=int)
@click.pass_obj
def channel_publish(settings: Settings, item_id: int) -> None:
    """Publish a draft now."""
    from handlers.channels.items import release
    count = _in_ctx(settings, lambda ctx: release(ctx, item_id))
    click.echo(f"item #{item_id} published: {count} members get it now")


@channel.command("edit")
@click.argument("item_id", type=int)
@click.option("--title")
@click.option("--body")
@click.option("--link")
@click.pass_obj
def channel_edit(settings: Settings, item_id: int, title: str | None, body: str | None, link: str | None) -> None:
    """Change an item; the copies members received are edited in place."""
    from handlers.channels.items import edit
    if title is None and body is None and link is None:
        raise click.UsageError("give --title, --body or --link")
    count = _in_ctx(settings, lambda ctx: edit(ctx, item_id, title=title, body=body, link=link))
    click.echo(f"item #{item_id} changed; {count} received copies are edited")


@channel.command("withdraw")
@click.argument("item_id", type=int)
@click.pass_obj
def channel_withdraw(settings: Settings, item_id: int) -> None:
    """Withdraw an item: copies under 48 hours old are deleted, older ones say it was withdrawn."""
    from handlers.channels.items import withdraw
    count = _in_ctx(settings, lambda ctx: withdraw(ctx, item_id))
    click.echo(f"item #{item_id} withdrawn; {count} received copies are deleted or marked")


@channel.command("items")
@click.option("--channel", "channel_code", help="Only this channel.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.pass_obj
def channel_items(settings: Settings, channel_code: str | None, limit: int) -> None:
    """The latest items with their state and read counts."""
    from handlers.channels import items
    from storage import channels as store

    async def work(conn, now):
        channel = await items.channel_by_code(conn, channel_code) if channel_code else None
        return [await items.stats(conn, r.id) for r in await store.items_of(conn, channel.id if channel else None,
                                                                              limit)]
    rows = _run(_with_db(settings, work))
    if not rows:
        click.echo("no items yet")
    for info in rows:
        click.echo(_stats_text(info))


def _stats_text(info: dict) -> str:
    i = info["item"]
    return (f"#{i.id} {info['channel'].code} [{i.status}] {i.title} — received {info['received']}, "
            f"opened {info['opened']}; published {_when(i.published_at)}")


@channel.command("stats")
@click.argument("item_id", type=int)
@click.pass_obj
def channel_stats(settings: Settings, item_id: int) -> None:
    """An item's read counts: how many received it at once, how many opened it."""
    from handlers.channels.items import stats
    info = _run(_with_db(settings, lambda conn, now: stats(conn, item_id)))
    click.echo(_stats_text(info))
    if info["item"].status == "scheduled":
        click.echo(f"scheduled for {_when(info['item'].publish_at)}")


@channel.command("profile")
@click.argument("member_ref")
@click.option("--consent", type=click.Choice(["yes", "no"]), required=True,
              help="The member agreed (yes) to a profile (委员风采), or withdrew it (no).")
@click.option("--note", help='How it was given, e.g. "书面同意 2026-12-01".')
@click.pass_obj
def channel_profile(settings: Settings, member_ref: str, consent: str, note: str | None) -> None:
    """Record a member's consent to be portrayed in a profile (委员风采)."""
    from storage import audit, people
    from storage import channels as store

    async def work(conn, now):
        member = await people.find(conn, member_ref)
        if member is None:
            raise click.ClickException(f"no member {member_ref!r}")
        await store.set_consent(conn, member.id, consent == "yes", note, now)
        await audit.record(conn, "cli", "channel.profile.consent", {"member": member.roster_id, "consent": consent},
                           now)
        return member
    member = _run(_with_db(settings, work))
    click.echo(f"{member.roster_id} {member.name}: consent to a profile recorded as {consent}")


@channel.group("feed")
def feed() -> None:
    """RSS / Atom feeds a channel follows."""


@feed.command("add")
@click.argument("channel_code")
@click.argument("url")
@click.pass_obj
def feed_add(settings: Settings, channel_code: str, url: str) -> None:
    """CHANNEL follows the feed at URL (fetched every 30 minutes by the running bot)."""
    from handlers.channels.feeds import add
    feed_id = _in_ctx(settings, lambda ctx: add(ctx, channel_code, url))
    click.echo(f"feed #{feed_id} added to {channel_code}: {url}")


@feed.command("list")
@click.pass_obj
def feed_list(settings: Settings) -> None:
    """Each feed with its last success and its last failure."""
    from storage import channels as store

    async def work(conn, now):
        return [(f, await store.by_id(conn, f.channel_id)) for f in await store.feeds(conn)]
    rows = _run(_with_db(settings, work))
    if not rows:
        click.echo("no feeds yet")
    for f, c in rows:
        state = "active" if f.active else "stopped"
        line = (f"#{f.id} {c.code} {f.url} [{state}] last success {_when(f.last_success_at)}; "
                f"last failure {_when(f.last_failure_at)}")
        if f.failures:
            line += f" ({f.failures} in a row: {f.last_error}); next try {_when(f.next_fetch_at)}"
        click.echo(line)


@feed.command("fetch")
@click.argument("feed_id", type=int)
@click.pass_obj
def feed_fetch(settings: Settings, feed_id: int) -> None:
    """Fetch a feed now (its next fetch is planned from this run)."""
    import asyncio

    from handlers.channels import feeds
    from storage import channels as store
    found = _run(_with_db(settings, lambda conn, now: store.feed(conn, feed_id)))
    if found is None:
        raise click.ClickException(f"no feed #{feed_id}")
    fetched = asyncio.run(feeds.fetch(found.url))  # before the transaction, which it would hold

    async def work(ctx):
        return await feeds.store_run(ctx, await store.feed(ctx.conn, feed_id), fetched)
    new = _in_ctx(settings, work)
    click.echo(f"feed #{feed_id}: {new} new entries" if fetched.ok else f"feed #{feed_id} failed: {fetched.error}")


@feed.command("stop")
@click.argument("feed_id", type=int)
@click.pass_obj
def feed_stop(settings: Settings, feed_id: int) -> None:
    """Stop following a feed (its items stay)."""
    from storage import channels as store
    from storage import timers
    from handlers.channels.feeds import timer_prefix

    async def work(conn, now):
        if not await store.set_feed_active(conn, feed_id, False):
            raise click.ClickException(f"no feed #{feed_id}")
        await timers.cancel(conn, timer_prefix(feed_id), now)
    _run(_with_db(settings, work))
    click.echo(f"feed #{feed_id} stopped")


@click.group()
def publicity() -> None:
    """Publicity drafts for the WeChat official account (Linkage does not post to WeChat)."""


@publicity.command("week")
@click.option("--week", help="ISO week, e.g. 2026-W49 (default: this week).")
@click.option("--out", required=True, help="F.docx or F.html")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def publicity_week(settings: Settings, week: str | None, out: str, lang: str) -> None:
    """The week's adopted reports (named only where the author allows it), deliberation conclusions
    and channel items, laid out for copying into the WeChat editor."""
    from handlers.publicity.draft import write
    path, count = _run(_with_db(settings, lambda conn, now: write(conn, out, week, now, lang)))
    click.echo(f"{path}: {count} entries")
