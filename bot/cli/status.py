"""`linkage status`: what the database says about the queues, and what the running bot's
/healthz says about its loops."""

from __future__ import annotations

import aiohttp
import click

from bot.clock import Clock
from bot.settings import Settings
from bot.supervise import DISPATCHER_STALL, HEALTH_PATH, SENDER_STALL
from storage.db import Database
from storage.health import queue_state


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:.0f} s"


async def show_status(settings: Settings, url: str | None) -> int:
    """Print the status; returns the exit status (0 healthy, 1 not)."""
    healthy = True
    settings.database_path_ready()
    db = Database(settings.database)
    try:
        await db.ensure_schema()
        now = Clock().now()
        async with db.read() as conn:
            queues = await queue_state(conn, now, dispatcher_stall=DISPATCHER_STALL, sender_stall=SENDER_STALL)
    finally:
        await db.close()
    state = queues.as_dict(now)
    click.echo(f"inbox: {_counts(queues.inbox)} (failed = parked: {state['parked_updates']}); "
               f"oldest waiting update: {_seconds(state['oldest_new_update_seconds'])}")
    click.echo(f"outbox: {_counts(queues.outbox)}; oldest due message: {_seconds(state['oldest_due_message_seconds'])}")
    for name, stalled in (("dispatcher", queues.dispatcher_stalled), ("sender", queues.sender_stalled)):
        if stalled:
            healthy = False
            click.echo(f"{name}: STALLED: {stalled}")
    if url is None and settings.health_port is not None:
        host = "127.0.0.1" if settings.health_host in ("0.0.0.0", "::") else settings.health_host
        url = f"http://{host}:{settings.health_port}{HEALTH_PATH}"
    if url is None:
        click.echo("loops: unknown (set LINKAGE_HEALTH_PORT, or give --url, to ask the running bot)")
        return 0 if healthy else 1
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            async with http.get(url) as response:
                report = await response.json()
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        click.echo(f"loops: the running bot did not answer at {url} ({type(exc).__name__})")
        return 1
    for name, loop in report["loops"].items():
        progress = loop["seconds_since_progress"]
        line = (f"{name}: {loop['state']}" + ("" if progress is None else f", last progress {progress:.1f} s ago")
                + f", restarts {loop['restarts']}")
        if loop["last_error"]:
            line += f", last error {loop['last_error']}"
        if loop["stalled"]:
            line += f", STALLED: {loop['stalled']}"
        click.echo(line)
    return 0 if healthy and report["ok"] else 1
