"""The ``linkage`` command."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from bot import logs
from bot.cli.support import refusals_shown
from bot.cli.support import run as _run
from bot.cli.support import with_db as _with_db
from bot.clock import Clock
from bot.settings import Settings
from storage.db import Database


def _settings(**overrides) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:  # each field and why, never the value given (it may be a secret)
        raise click.ClickException("; ".join(
            f"LINKAGE_{'_'.join(map(str, error['loc'])).upper()}: {error['msg']}" for error in exc.errors())) from None


@click.group()
@click.option("--database", envvar="LINKAGE_DATABASE", help="SQLite file or postgresql:// URL")
@click.pass_context
def main(ctx: click.Context, database: str | None) -> None:
    """Linkage: social-opinion reports, routing and handling for CPPCC members on Telegram."""
    ctx.obj = _settings(database=database)


@main.command()
@click.option("--webhook", is_flag=True, help="Receive updates by webhook instead of long polling.")
@click.option("--framework", type=click.Choice(["aiogram", "ptb"]), help="Telegram framework (LINKAGE_FRAMEWORK).")
@click.pass_obj
def run(settings: Settings, webhook: bool, framework: str | None) -> None:
    """Run the bot against Telegram (LINKAGE_BOT_TOKEN) or any Bot API server (LINKAGE_API_BASE).

    Exits 0 after SIGTERM, 1 when one of its loops kept failing (see `linkage status`)."""
    from bot.app import LinkageApp
    if framework:
        settings.framework = framework
    logs.setup(settings.log_level, settings.log_file)

    async def serve() -> str | None:
        app = LinkageApp(settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, app.stop_event.set)
        try:
            await app.start(use_webhook=webhook)
        except Exception:
            await app.stop()  # what it opened (the database's connection) closed before the refusal
            raise
        await app.stop_event.wait()
        await app.stop()
        return app.supervisor.gave_up

    gave_up = _run(serve())  # an old schema is refused here, with what to do
    if gave_up:
        click.echo(f"linkage run: the {gave_up} loop kept failing (see the log); exiting with status 1", err=True)
        sys.exit(1)


@main.command()
@click.option("--url", help="The running bot's /healthz (default: from LINKAGE_HEALTH_PORT, when set).")
@click.pass_obj
def status(settings: Settings, url: str | None) -> None:
    """The queues (from the database) and, when reachable, the running bot's loops.

    Exits 1 when a loop is stalled or gave up, or the running bot does not answer."""
    from bot.cli.status import show_status
    sys.exit(_run(show_status(settings, url)))


@main.command()
@click.option("--keep", is_flag=True, help="Leave the sandbox and the bot running afterwards.")
@click.option("--framework", type=click.Choice(["aiogram", "ptb"]), default="aiogram", show_default=True)
@click.option("--dir", "workdir", type=click.Path(path_type=Path), default=Path("var/demo"),
              show_default=True, help="Where the demo's database and log go.")
@click.option("--pace", type=click.FloatRange(min=1), default=1.0, show_default=True,
              help="Telegram's flood allowances times this, in the sandbox and the bot alike (1: Telegram's own).")
def demo(keep: bool, framework: str, workdir: Path, pace: float) -> None:
    """Play the whole product offline against the sandbox Bot API server."""
    from bot.demo.demo import run_demo
    sys.exit(asyncio.run(run_demo(workdir, keep=keep, framework=framework, pace=pace)))


@main.command()
@click.option("--no-roster", is_flag=True, help="Reference data only, without the sample roster.")
@click.pass_obj
def seed(settings: Settings, no_roster: bool) -> None:
    """Load seeds/ (idempotent): districts, streets, sectors, committees, topics, targets, rules."""
    from seeds.loader import load_seeds

    async def work():
        settings.database_path_ready()
        db = Database(settings.database)
        try:
            await db.ensure_schema()
            return await load_seeds(db, Clock().now(), roster=not no_roster)
        finally:
            await db.close()

    counts = _run(work())
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@main.group()
def member() -> None:
    """The roster."""


@member.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Only check the file: the report, nothing written.")
@click.option("--only-valid", is_flag=True, help="Write the valid rows and skip those with errors.")
@click.pass_obj
def member_import(settings: Settings, file: Path, check: bool, only_valid: bool) -> None:
    """Import a roster (.csv or .xlsx). An invalid file imports nothing (unless --only-valid)."""
    from handlers.office.roster import import_roster, read_roster_file
    with refusals_shown():  # before the database is opened: a file that cannot be read changes nothing
        rows = read_roster_file(file)
    report = _run(_with_db(settings, lambda conn, now: import_roster(conn, rows, now, check_only=check,
                                                                     only_valid=only_valid)))
    for line in report.lines():
        click.echo(line)
    if not report.ok and not (only_valid and report.written):
        raise click.ClickException("nothing was imported: fix the rows above and import the file again")


@main.command()
@click.argument("member_ref", required=False)
@click.option("--all", "everyone", is_flag=True, help="Every active member not joined yet (or of the filters).")
@click.option("--district")
@click.option("--level", type=click.Choice(["city", "district"]))
@click.option("--sector")
@click.option("--committee")
@click.option("--members", help="Only these roster ids (comma-separated).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the links to this .csv.")
@click.pass_obj
def invite(settings: Settings, member_ref: str | None, everyone: bool, out: Path | None, **filters) -> None:
    """Print a one-time invite deep link for MEMBER (roster id or unique name), or with --all one
    for every member not joined yet."""
    from handlers.office.invites import invite_link
    if everyone == bool(member_ref):
        raise click.UsageError("name one MEMBER, or give --all (with filters, if any)")
    if everyone:
        from bot.cli.office import bulk_invite
        bulk_invite(settings, out, **filters)
        return
    link = _run(_with_db(settings, lambda conn, now: invite_link(
        conn, member_ref, now, days=settings.invite_days, bot_username=settings.bot_username)))
    click.echo(link)


@main.group()
def group() -> None:
    """Groups and forum topics that receive items."""


@group.command("bind-key")
@click.argument("name")
@click.option("--kind", type=click.Choice(["topic", "district", "street", "sector", "office", "person"]), required=True)
@click.option("--topic")
@click.option("--district")
@click.option("--street")
@click.option("--sector")
@click.option("--level", type=click.Choice(["city", "district"]))
@click.option("--title-zh")
@click.option("--title-en")
@click.pass_obj
def bind_key(settings: Settings, name: str, kind: str, **fields) -> None:
    """Make a one-time key; an admin of the group then sends /bind KEY there."""
    from handlers.office.keys import make_bind_key
    key = _run(_with_db(settings, lambda conn, now: make_bind_key(
        conn, name, kind, now, hours=settings.bind_key_hours, **fields)))
    click.echo(f"/bind {key}")
    click.echo(f"(valid for {settings.bind_key_hours} hours, once; send it in the group or forum topic)")


@main.group()
def liaison() -> None:
    """Who handles the items of a target."""


@liaison.command("add")
@click.argument("member_ref")
@click.argument("target_name")
@click.pass_obj
def liaison_add(settings: Settings, member_ref: str, target_name: str) -> None:
    from handlers.office.liaisons import add_liaison
    _run(_with_db(settings, lambda conn, now: add_liaison(conn, member_ref, target_name, now)))
    click.echo(f"{member_ref} is now a liaison of {target_name}")


@main.group()
def route() -> None:
    """Routing rules."""


@route.command("test")
@click.option("--topic", required=True)
@click.option("--district")
@click.option("--street")
@click.option("--sector")
@click.option("--tag", "tags", multiple=True, help="A tag the item carries (repeatable).")
@click.pass_obj
def route_test(settings: Settings, **fields) -> None:
    """Dry run: every target the walk picks once the groups are bound (those not bound yet are
    marked), and where an item would go now if that differs."""
    from handlers.office.rules import dry_run
    trial = _run(_with_db(settings, lambda conn, now: dry_run(conn, **fields)))
    for line in trial.lines():
        click.echo(line)


@route.command("list")
@click.pass_obj
def route_list(settings: Settings) -> None:
    from handlers.office.rules import list_rules
    for rule in _run(_with_db(settings, lambda conn, now: list_rules(conn))):
        click.echo(str(rule))


@route.command("add")
@click.argument("targets", nargs=-1, required=True)
@click.option("--area", type=click.Choice(["city", "district", "street"]))
@click.option("--topic")
@click.option("--district")
@click.option("--street")
@click.option("--sector")
@click.option("--tag", help="Items carrying this tag (seeds/tags.yaml).")
@click.option("--continue", "keep_going", is_flag=True, help="Do not stop at this rule.")
@click.option("--no-watch", "no_watch", is_flag=True,
              help="Do not show the district and street items of this rule to their city topic group (知悉).")
@click.option("--position", type=int)
@click.option("--before", type=int, metavar="RULE_ID", help="Put it just before this rule (see `linkage route list`).")
@click.pass_obj
def route_add(settings: Settings, targets: tuple[str, ...], keep_going: bool, no_watch: bool, **fields) -> None:
    """Add a rule sending matching items to TARGETS (names)."""
    from handlers.office.rules import add_rule
    rule_id = _run(_with_db(settings, lambda conn, now: add_rule(conn, list(targets), now, stop=not keep_going,
                                                                 watch=not no_watch, **fields)))
    click.echo(f"rule #{rule_id} added")


@route.command("watch")
@click.argument("rule_id", type=int)
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_obj
def route_watch(settings: Settings, rule_id: int, state: str) -> None:
    """Turn the city topic group's watch (知悉) of a rule's district and street items on or off."""
    from handlers.office.rules import set_watch
    _run(_with_db(settings, lambda conn, now: set_watch(conn, rule_id, state == "on", now)))
    click.echo(f"rule #{rule_id}: watch {state}")


@route.command("delete")
@click.argument("rule_id", type=int)
@click.pass_obj
def route_delete(settings: Settings, rule_id: int) -> None:
    from handlers.office.rules import delete_rule
    _run(_with_db(settings, lambda conn, now: delete_rule(conn, rule_id, now)))
    click.echo(f"rule #{rule_id} deleted")


@main.command()
@click.pass_obj
def outbox(settings: Settings) -> None:
    """How many messages are pending, sent, failed or blocked."""
    from storage import outbox as outbox_store
    counts = _run(_with_db(settings, lambda conn, now: outbox_store.counts(conn)))
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "empty")


# feature command groups (one `main.add_command(...)` per feature module):
from bot.cli.study import study  # noqa: E402
main.add_command(study)
from bot.cli.holidays import holidays  # noqa: E402
main.add_command(holidays)
from bot.cli.notices import digest, notice  # noqa: E402
main.add_command(notice)
main.add_command(digest)
from bot.cli.exports import export  # noqa: E402
main.add_command(export)
from bot.cli.reports import report  # noqa: E402
main.add_command(report)
from bot.cli.departments import department, template  # noqa: E402
main.add_command(department)
main.add_command(template)
from bot.cli.deliberation import deliberation  # noqa: E402
main.add_command(deliberation)
from bot.cli.consultation import consultation  # noqa: E402
main.add_command(consultation)
from bot.cli.points import points, record  # noqa: E402
main.add_command(points)
main.add_command(record)
from bot.cli.db import db  # noqa: E402
main.add_command(db)
from bot.cli.summary import member_phones, summary  # noqa: E402
main.add_command(summary)
member.add_command(member_phones)
from bot.cli.oversight import oversight  # noqa: E402
main.add_command(oversight)
from bot.cli.serving import contacts, guide  # noqa: E402
main.add_command(guide)
main.add_command(contacts)
from bot.cli.console import console  # noqa: E402
main.add_command(console)
from bot.cli import office as _office  # noqa: E402
for _group, _command in ((liaison, _office.liaison_remove), (liaison, _office.liaison_list),
                         (group, _office.group_keys), (group, _office.group_revoke), (route, _office.route_edit),
                         (route, _office.route_move), (member, _office.member_edit), (member, _office.member_list)):
    _group.add_command(_command)
from bot.cli.research import research  # noqa: E402
main.add_command(research)
from bot.cli.channels import channel, publicity  # noqa: E402
main.add_command(channel)
main.add_command(publicity)


@main.group()
def bench() -> None:
    """Benchmarks (they measure and print; nothing is asserted)."""


@bench.command("updates")
@click.option("--framework", type=click.Choice(["aiogram", "ptb"]), default="aiogram", show_default=True)
@click.option("--members", type=click.IntRange(min=1), default=50, show_default=True,
              help="Simulated members going through the submit flow at once.")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=30, show_default=True,
              help="Measured window, for Linkage and then for the echo bot.")
def bench_updates(framework: str, members: int, seconds: float) -> None:
    """Linkage's updates/s, latency and peak RSS against the sandbox, next to a bare echo bot."""
    from bot.bench.updates import run_bench

    async def measure():
        # SIGTERM cancels the run like Ctrl-C does, so its finally blocks stop the bots and remove the temp dir
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
        return await run_bench(framework, members, seconds)

    try:
        result = asyncio.run(measure())
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise click.Abort() from None
    click.echo(result.report())


from bot.bench.broadcast import broadcast  # noqa: E402
bench.add_command(broadcast)
from bot.bench.failover import failover  # noqa: E402
bench.add_command(failover)
from bot.bench.scale import scale  # noqa: E402
bench.add_command(scale)

