"""``linkage --database postgresql://… bench failover --workers 3``: several ``linkage run --webhook``
workers on one PostgreSQL, the weekly digest to N members, the leader SIGKILLed half way.

The rig is ``bench broadcast``'s (``BroadcastRig``: the sandbox enforcing Telegram's limits, N
fictional members who started the bot, the digest's timer due now), on a scratch database of its
own created beside the one named (and dropped after), with W worker processes instead of one:

1. All W start at once; the first to take the leader lock fires the digest (N outbox rows) and
   sends; the others handle updates and wait for the lock.
2. Once half the rows are sent, and some are 'sending' right now, the leader is SIGKILLed: its
   connections drop, PostgreSQL frees the lock, a follower takes it within a second or so, re-sends
   the rows the dead leader left 'sending' and drains the rest.
3. Figures from the sandbox (what each member received, 429s) and the database: delivered, lost
   (must be 0), duplicates (at most the rows in flight at the kill), seconds to take over (the kill
   → a follower's log says it leads; and → the next digest message the sandbox receives).

A benchmark, not a test: it measures and prints. ``tests/test_failover.py`` runs the same at a
small size and asserts lost == 0 and duplicates ≤ in flight.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import click
from sqlalchemy import func, select

from bot.bench.broadcast import TOKEN, BroadcastRig
from bot.bench.process import LINKAGE_RUN, BotProcess
from storage.db import Database
from storage.schema import outbox

LEADING = "leading: this process runs the sender and the scheduler"  # bot/leader.py's log line
SECRET = "failover-bench-webhook-secret-0123456789"
START_TIMEOUT = 120.0


@dataclass
class FailoverResult:
    members: int
    workers: int
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    in_flight: int = 0  # rows 'sending' when the leader was killed
    sent_at_kill: int = 0
    takeover_seconds: float = 0.0  # the kill → a follower leads
    resumed_seconds: float = 0.0  # the kill → the next digest message received
    rate_limited: int = 0
    total_seconds: float = 0.0

    def report(self) -> str:
        return "\n".join([
            f"linkage bench failover — {self.members} members, {self.workers} workers (linkage run --webhook) "
            f"on PostgreSQL, the leader SIGKILLed after {self.sent_at_kill} rows sent",
            f"  delivered: {self.delivered}/{self.members} members",
            f"  lost: {self.lost}",
            f"  duplicates: {self.duplicates} (rows in flight at the kill: {self.in_flight})",
            f"  seconds to take over: {self.takeover_seconds:.1f} (kill → a follower leads); "
            f"{self.resumed_seconds:.1f} (kill → sending again)",
            f"  429 Too Many Requests received: {self.rate_limited}",
            f"  time to finish (start → last message): {self.total_seconds:.1f} s",
        ])


def free_ports(count: int) -> list[int]:
    """Ports free on this machine now (the OS picks them), one per worker's webhook server."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _admin_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


async def admin_execute(url: str, statement: str) -> None:
    """One statement on the server's administrative connection (CREATE or DROP DATABASE)."""
    conn = await asyncpg.connect(_admin_dsn(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


class FailoverRig(BroadcastRig):
    """``BroadcastRig`` on PostgreSQL with W webhook workers."""

    def __init__(self, workdir: Path, members: int, url: str, *, workers: int = 3, **kwargs):
        super().__init__(workdir, members, **kwargs)
        self.server_url, self.scratch = url.rsplit("/", 1)[0], f"linkage_failover_{uuid.uuid4().hex[:10]}"
        self.url = f"{self.server_url}/{self.scratch}"
        self.db = Database(self.url)
        self.admin_url = url
        self.workers: list[BotProcess] = []
        self.count = workers
        self.ports = free_ports(workers)

    async def setup(self) -> None:
        await admin_execute(self.admin_url, f"CREATE DATABASE {self.scratch}")
        await super().setup()

    def worker_env(self, index: int) -> dict:
        port = self.ports[index]
        return {**self.env(), "LINKAGE_DATABASE": self.url,
                "LINKAGE_LOG_FILE": str(self.workdir / f"worker{index}.log"),
                "LINKAGE_WEBHOOK_URL": f"http://127.0.0.1:{port}", "LINKAGE_WEBHOOK_SECRET": SECRET,
                "LINKAGE_WEBHOOK_HOST": "127.0.0.1", "LINKAGE_WEBHOOK_PORT": str(port)}

    async def start_workers(self) -> None:
        self.workers = [BotProcess(self.worker_env(i), self.workdir, args=(*LINKAGE_RUN, "--webhook"),
                                   label=f"worker{i}") for i in range(self.count)]
        await asyncio.gather(*(w.start(w.logged_start, START_TIMEOUT) for w in self.workers))

    def terms(self, worker: BotProcess) -> int:
        try:
            return worker.log_file.read_text(encoding="utf-8", errors="replace").count(LEADING)
        except FileNotFoundError:
            return 0

    async def leader(self, timeout: float = 30, besides: tuple = ()) -> BotProcess:
        """The worker leading now (the one alive whose log says it leads; not one of ``besides``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for worker in self.workers:
                if worker.running and worker not in besides and self.terms(worker):
                    return worker
            await asyncio.sleep(0.02)
        raise RuntimeError("no worker took the lead")

    async def rows(self) -> dict[str, int]:
        async with self.db.read() as conn:
            result = await conn.execute(select(outbox.c.status, func.count())
                                        .where(outbox.c.key.like(f"digest:{self.period}:%")).group_by(outbox.c.status))
            return dict(result.all())

    async def wait_in_flight(self, sent: int, timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        if not await self.wait_sent(sent, timeout):
            return False
        while time.monotonic() < deadline:
            if (await self.rows()).get("sending"):
                return True
            await asyncio.sleep(0.005)
        return False

    async def close(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.workers), return_exceptions=True)
        await super().close()
        await admin_execute(self.admin_url, f"DROP DATABASE IF EXISTS {self.scratch} WITH (FORCE)")

    async def run(self) -> FailoverResult:
        """Start, kill the leader half way, wait until every row is sent; the figures."""
        started = time.time()
        await self.start_workers()
        first = await self.leader()
        await self.wait_rows()
        await self.wait_in_flight(self.n // 2, timeout=max(120.0, self.n / 10))
        await first.kill()
        killed = time.monotonic()
        killed_wall = time.time()
        at_kill = await self.rows()
        await self.leader(besides=(first,))
        takeover = time.monotonic() - killed
        await self.wait_done(timeout=max(300.0, self.n / 5))
        got = self.received()
        sent_after = [t for t in self.send_times() if t > killed_wall]
        stats = self.server.world.bot(TOKEN).rate_limited
        sent = self.send_times()
        return FailoverResult(
            members=self.n, workers=self.count,
            delivered=sum(1 for uid in self.user_ids if got[uid] >= 1),
            lost=sum(1 for uid in self.user_ids if got[uid] == 0),
            duplicates=sum(max(0, got[uid] - 1) for uid in self.user_ids),
            in_flight=at_kill.get("sending", 0), sent_at_kill=at_kill.get("sent", 0),
            takeover_seconds=takeover, resumed_seconds=(sent_after[0] - killed_wall) if sent_after else 0.0,
            rate_limited=stats, total_seconds=(sent[-1] - started) if sent else 0.0)


async def run_failover(url: str, members: int, workers: int, workdir: Path) -> FailoverResult:
    rig = FailoverRig(workdir, members, url, workers=workers)
    try:
        await rig.setup()
        return await rig.run()
    finally:
        await rig.close()


@click.command("failover")
@click.option("--workers", type=click.IntRange(min=2, max=20), default=3, show_default=True)
@click.option("--members", type=click.IntRange(min=10), default=2000, show_default=True,
              help="Members the weekly digest goes to.")
@click.pass_obj
def failover(settings, workers: int, members: int) -> None:
    """Several webhook workers on PostgreSQL; the leader SIGKILLed half way through a digest:
    delivered, lost, duplicates, seconds to take over. Needs --database postgresql://… (a scratch
    database is created beside it and dropped after)."""
    import tempfile

    if not settings.database.startswith(("postgresql://", "postgres://")):
        raise click.ClickException("bench failover needs --database postgresql://… (several workers share one "
                                   "PostgreSQL; SQLite has one process)")
    click.echo(f"setting up {members} members, the sandbox and {workers} workers...")
    with tempfile.TemporaryDirectory(prefix="linkage-failover-") as workdir:
        result = asyncio.run(run_failover(settings.database, members, workers, Path(workdir)))
    click.echo(result.report())
