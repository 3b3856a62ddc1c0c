"""``linkage console``: serve the office's web console (bot/console/); ``linkage console
login-link MEMBER`` prints a one-time sign-in link (the first admin's way in; afterwards /console
in a private chat with the bot gives one)."""

from __future__ import annotations

import asyncio
import signal

import click

from bot import logs
from bot.cli.support import run, run_in_ctx
from bot.settings import Settings


@click.group(invoke_without_command=True)
@click.option("--host", default=None, help="Address to listen on (default LINKAGE_CONSOLE_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default LINKAGE_CONSOLE_PORT, else 8080).")
@click.pass_context
def console(ctx: click.Context, host: str | None, port: int | None) -> None:
    """The office's web console (put it behind an HTTPS reverse proxy: see README)."""
    if ctx.invoked_subcommand is not None:
        return
    settings: Settings = ctx.obj
    host = host or settings.console_host
    port = port or settings.console_port or 8080
    logs.setup(settings.log_level, settings.log_file)

    async def serve() -> None:
        from bot.clock import Clock
        from bot.console.app import make_app
        from bot.console.app import serve as serve_app
        from storage.db import Database
        settings.database_path_ready()
        db = Database(settings.database, serving=True)
        await db.ensure_schema()  # an old schema is refused, with what to do
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        runner = await serve_app(make_app(db, settings.handler_config(), Clock()), host, port)
        click.echo(f"console on http://{host}:{port}/ (sign-in links start with {settings.console_url}); "
                   "Ctrl-C stops it", err=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await db.close()

    run(serve())  # an old schema is refused with what to do, not a traceback


@console.command("login-link")
@click.argument("member_ref")
@click.pass_obj
def login_link(settings: Settings, member_ref: str) -> None:
    """A one-time sign-in link for MEMBER (roster id or unique name), valid LINKAGE_CONSOLE_LINK_MINUTES."""
    from handlers.console.signin import login_link_for
    click.echo(run_in_ctx(settings, lambda ctx: login_link_for(ctx.conn, member_ref, ctx.now, ctx.config)))
