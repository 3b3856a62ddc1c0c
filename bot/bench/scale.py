"""``linkage bench scale --members N --reports M [--database postgresql://…]``: the weekly digest
to a province's CPPCC members (100,000) over a million reports, while members keep using the bot.
A benchmark, not a test: it measures and prints, it asserts nothing.

1. The data (timed on its own): a fresh database (SQLite in a scratch folder, or a scratch
   PostgreSQL database beside the one named, dropped after) with the seeds, N members spread over
   the districts, M reports over the last ten weeks by random members — over a topic and district,
   named, office-only or anonymous, the recent ones open (routed, claimed, answered, waiting for the
   member), the older ones closed or adopted — with their events (submitted, routed, claimed,
   replied, adopted, closed), written many rows a statement (``storage.db.insert_rows``).
2. The sandbox in this process (Telegram's real limits), every member a user who started the bot.
   ``linkage run`` as a child process, logging every write transaction's time
   (``LINKAGE_SLOW_TRANSACTION_MS=0``) and its scheduler ticking every second.
3. ``TALKERS`` members send ``/help`` in turn, ``RATE`` messages a second in all, through the
   sandbox, from ``BEFORE`` seconds before the digest (their baseline) until after it.
4. The current week's digest timer is added, due now: the bot's scheduler fires it through the real
   path (``Scheduler.fire_due``, its chunks of drafts each in a transaction of their own), and the
   bot's sender starts sending it at Telegram's pace, each digest written from its draft just
   before it goes (handlers/core/drafts.py); the bench watches ``AFTER`` seconds of that.

Figures, from the bot's log and database: the digest's build time (the scheduler's "timer firing in
chunks" → "timer fired" lines), the rows written, the longest write transaction while it built (the
time from SQLite's write lock taken to the commit; on PostgreSQL, begin to commit), the members'
updates that arrived meanwhile and their p50 / p99 from arrival in the inbox to the commit of their
transaction; the same for the ``AFTER`` seconds of sending, with the digests sent; and the bot
process's peak RSS (``VmHWM``: start-up, data and digest included).
"""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import click
from sqlalchemy import func, select

from bot.bench.failover import admin_execute
from bot.bench.process import BotProcess
from bot.bench.updates import commit_times, percentile
from bot.clock import Clock
from bot.sandbox import SandboxClient, SandboxServer, SbUser
from handlers.core.context import HandlerConfig
from handlers.core.localtime import local_day
from handlers.digests import schedule as digest_schedule
from seeds.loader import load_seeds
from storage import digests as digest_store
from storage import reference, timers
from storage.db import Database, insert_rows
from storage.schema import inbox, item_events, items, members, outbox

TOKEN = "7100000004:scale-bench"
USER_BASE = 6_200_000_000
TALKERS = 20  # members using the bot while the digest builds
RATE = 10.0  # their messages per second, in all
BEFORE = 5.0  # seconds of their traffic before the digest (the baseline)
AFTER = 10.0  # seconds of it after the digest was built, while the sender sends it
WEEKS = 10  # the reports' span
BATCH = 20_000  # rows a statement while building the data
START_TIMEOUT = 300.0
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) \S+ (\S+) (.*)$")
OPEN_STATUSES = ("routed", "routed", "claimed", "claimed", "answered", "needs_info")
PRIVACY = ("named", "named", "office", "anonymous")


@dataclass
class ScaleResult:
    members: int
    reports: int
    database: str
    chunk: int
    after: float  # seconds of sending watched after the build
    data_seconds: float = 0.0
    build_seconds: float = 0.0
    rows: int = 0
    longest_write_ms: float = 0.0
    writes: int = 0  # write transactions while it built
    updates: int = 0  # members' updates that arrived while it built
    baseline_p99_ms: float = 0.0  # theirs in the seconds before the digest
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    peak_rss_mb: float = 0.0
    # the AFTER seconds after it: the sender sending at Telegram's pace, writing the drafts as it goes
    sent: int = 0  # digests sent (each written from its draft just before)
    sending_longest_write_ms: float = 0.0
    sending_writes: int = 0
    sending_updates: int = 0
    sending_p99_ms: float = 0.0

    def report(self) -> str:
        return "\n".join([
            f"linkage bench scale — {self.members} members, {self.reports} reports, {self.database}, "
            f"chunks of {self.chunk} members",
            f"  data build: {self.data_seconds:.1f} s",
            f"  digest build: {self.build_seconds:.1f} s, {self.rows} rows written",
            f"  longest write transaction: {self.longest_write_ms:.0f} ms (of {self.writes} write transactions "
            f"while it built)",
            f"  members' updates while it built: {self.updates}, arrival → commit p50 {self.p50_ms:.0f} ms, "
            f"p99 {self.p99_ms:.0f} ms, max {self.max_ms:.0f} ms (before the digest: p99 {self.baseline_p99_ms:.0f} ms)",
            f"  then {self.after:.0f} s of sending: {self.sent} digests written from their drafts and sent, longest write "
            f"transaction {self.sending_longest_write_ms:.0f} ms (of {self.sending_writes}), members' updates "
            f"{self.sending_updates}, p99 {self.sending_p99_ms:.0f} ms",
            f"  peak RSS of the bot process: {self.peak_rss_mb:.0f} MB",
        ])


def log_lines(path: Path) -> list[tuple[float, str, str]]:
    """(epoch time, logger, message and fields) of each line of the bot's log."""
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if (m := LOG_LINE.match(line)) is not None:
            at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000
            found.append((at, m.group(3), m.group(4)))
    return found


def peak_rss(pid: int) -> int:
    """The process's high-water mark of resident memory (Linux), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


class ScaleRig:
    def __init__(self, workdir: Path, members: int, reports: int, *, url: str | None = None,
                 chunk: int = HandlerConfig.digest_chunk, after: float = AFTER, seed: int = 20261202):
        self.workdir, self.n, self.m, self.chunk, self.after = Path(workdir), members, reports, chunk, after
        self.random = random.Random(seed)
        self.clock = Clock()
        # The digest's weekday four days ago: the bot's own planning at start fires only a digest
        # due within the last day, so this one fires when the bench adds its timer, not before.
        weekday = (local_day(self.clock.now()).weekday() - 4) % 7
        self.config = HandlerConfig(quiet_hours="", digest_weekday=weekday)
        self.due = digest_schedule.current_weekly(self.clock.now(), self.config)
        self.period = digest_schedule.period_of("weekly", self.due)
        self.admin_url = url
        if url is None:
            self.url = str(self.workdir / "linkage.db")
        else:
            self.url = f"{url.rsplit('/', 1)[0]}/linkage_scale_{uuid.uuid4().hex[:10]}"
        self.db = Database(self.url)
        self.server = SandboxServer()  # Telegram's real limits
        self.bot: BotProcess | None = None

    # -- the data --------------------------------------------------------------------------

    async def build(self) -> float:
        """The database and the sandbox's people; returns the data build's seconds."""
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.admin_url is not None:
            await admin_execute(self.admin_url, f"CREATE DATABASE {self.url.rsplit('/', 1)[1]}")
        await self.db.ensure_schema()
        now = self.clock.now()
        await load_seeds(self.db, now, roster=False)
        async with self.db.read() as conn:
            districts = [d.code for d in await reference.all_districts(conn)]
            topics = [t.code for t in await reference.all_topics(conn)]
        homes = [*districts, None]  # a member of the city's CPPCC has no district
        member_districts = [homes[i % len(homes)] for i in range(self.n)]
        for start in range(0, self.n, BATCH):
            async with self.db.transaction() as conn:
                await insert_rows(conn, members, [
                    {"id": i + 1, "roster_id": f"S{i + 1:06d}", "name": f"委员{i + 1:06d}",
                     "level": "district" if member_districts[i] else "city", "district_code": member_districts[i],
                     "role": "member", "language": "zh", "telegram_user_id": USER_BASE + i, "reachable": True,
                     "active": True, "created_at": now} for i in range(start, min(self.n, start + BATCH))])
        event_id = 0
        for start in range(0, self.m, BATCH):
            item_rows, event_rows = [], []
            for number in range(start, min(self.m, start + BATCH)):
                item, events = self._report(number + 1, now, member_districts, topics)
                item_rows.append(item)
                for event in events:
                    event_id += 1
                    event_rows.append({"id": event_id, **event})
            async with self.db.transaction() as conn:
                await insert_rows(conn, items, item_rows)
                await insert_rows(conn, item_events, event_rows)
        world = self.server.world
        await self.server.start()
        bot = world.bot(TOKEN)
        for i in range(self.n):
            world.new_user(f"委员{i + 1:06d}", id=USER_BASE + i, language_code="zh-hans").started.add(bot.id)
        return time.monotonic() - started

    def _report(self, item_id: int, now: datetime, member_districts: list, topics: list[str]) -> tuple[dict, list]:
        rnd = self.random
        author = rnd.randrange(self.n)
        district = member_districts[author] if rnd.random() < 0.7 else None
        created = now - timedelta(seconds=rnd.uniform(0, WEEKS * 7 * 86400))
        age = now - created
        if age < timedelta(days=21):
            status, outcome = rnd.choice(OPEN_STATUSES), None
        elif rnd.random() < 0.3:
            status, outcome = "adopted", "adopted"
        else:
            status, outcome = "closed", None
        events = [("submitted", None, "submitted", created), ("routed", "submitted", "routed", created)]
        if status != "routed":
            events.append(("claimed", "routed", "claimed", created + timedelta(hours=2)))
        if status in ("answered", "adopted", "closed"):
            events.append(("replied", "claimed", "answered", created + timedelta(days=1)))
        if outcome == "adopted":
            events.append(("outcome", "answered", "adopted", created + timedelta(days=3)))
        if status == "closed":
            events.append(("closed", "answered", "closed", created + timedelta(days=4)))
        updated = events[-1][3]
        item = {"id": item_id, "code": f"S{item_id:07d}", "title": f"社情民意{item_id}", "author_id": author + 1,
                "topic_code": topics[item_id % len(topics)], "area": "district" if district else "city",
                "district_code": district, "observation": "夜间停车难，道路拥堵。", "analysis": None,
                "suggestion": "推行错时共享停车。", "privacy": PRIVACY[item_id % len(PRIVACY)], "status": status,
                "level": "district" if district else "city", "outcome": outcome, "source_key": f"scale:{item_id}",
                "created_at": created, "updated_at": updated,
                "closed_at": updated if status == "closed" else None}
        return item, [{"item_id": item_id, "kind": kind, "status_from": before, "status_to": after, "created_at": at,
                       "actor_id": author + 1 if kind == "submitted" else None} for kind, before, after, at in events]

    # -- the run ---------------------------------------------------------------------------

    def env(self) -> dict:
        return dict(LINKAGE_BOT_TOKEN=TOKEN, LINKAGE_API_BASE=self.server.base_url, LINKAGE_DATABASE=self.url,
                    LINKAGE_POLL_TIMEOUT="1", LINKAGE_LOG_FILE=str(self.workdir / "linkage.log"),
                    LINKAGE_CHARTS_DIR=str(self.workdir / "charts"), LINKAGE_QUIET_HOURS="",
                    LINKAGE_DIGEST_WEEKDAY=str(self.config.digest_weekday),
                    LINKAGE_SCHEDULER_TICK_SECONDS="1", LINKAGE_SLOW_TRANSACTION_MS="0",
                    LINKAGE_DIGEST_CHUNK=str(self.chunk), LINKAGE_USER_MESSAGES_PER_MINUTE="100000")

    async def run(self, result: ScaleResult) -> None:
        self.bot = BotProcess(self.env(), self.workdir)
        await self.bot.start(self.bot.logged_start, START_TIMEOUT)
        stop = asyncio.Event()
        async with SandboxClient(self.server.base_url, TOKEN) as sb:
            talkers = asyncio.create_task(self._talk(sb, stop))
            await asyncio.sleep(BEFORE)  # members' traffic before the digest: the baseline
            key = digest_schedule.timer_key("weekly", self.due)
            async with self.db.transaction() as conn:
                await timers.schedule(conn, key, "digest_weekly", self.due)
            await self.bot.wait_until(lambda: self._fired(key), timeout=max(600.0, self.n / 50))
            await asyncio.sleep(self.after)  # the sending, its drafts written as it goes
            stop.set()
            await talkers
        await asyncio.sleep(2)  # let the last updates commit
        result.peak_rss_mb = peak_rss(self.bot.pid) / 1e6
        await self.bot.stop()
        await self._figures(key, result)

    async def _talk(self, sb: SandboxClient, stop: asyncio.Event) -> None:
        users = [SbUser(id=USER_BASE + i, first_name=f"委员{i + 1:06d}") for i in range(min(TALKERS, self.n))]
        turn = 0
        while not stop.is_set():
            await sb.send(users[turn % len(users)], "/help")
            turn += 1
            await asyncio.sleep(1 / RATE)

    def _fired(self, key: str) -> bool:
        return any("timer fired" in text and f"timer={key}" in text for _, _, text in log_lines(self.bot.log_file))

    async def _figures(self, key: str, result: ScaleResult) -> None:
        lines = log_lines(self.bot.log_file)
        start = next(at for at, _, text in lines if "timer firing in chunks" in text and f"timer={key}" in text)
        end = next(at for at, _, text in lines if "timer fired" in text and f"timer={key}" in text)
        result.build_seconds = end - start
        def writes(since: float, until: float) -> list[float]:
            return [float(re.search(r"ms=([\d.]+)", text).group(1)) for at, _, text in lines
                    if "slow write transaction" in text and since <= at <= until + 0.001]

        build, sending = writes(start, end), writes(end, end + self.after)
        result.writes, result.longest_write_ms = len(build), max(build, default=0.0)
        result.sending_writes, result.sending_longest_write_ms = len(sending), max(sending, default=0.0)
        committed = commit_times(self.bot.log_file)
        async with self.db.read() as conn:
            run = await digest_store.run(conn, self.period)
            arrived = (await conn.execute(select(inbox.c.update_id, inbox.c.received_at)
                                          .where(inbox.c.status == "done"))).all()
            result.sent = (await conn.execute(select(func.count()).select_from(outbox).where(
                outbox.c.key.like(f"digest:{self.period}:%"), outbox.c.status == "sent"))).scalar_one()
        result.rows = run.recipients if run is not None else 0
        def latencies(since: float, until: float) -> list[float]:
            return [committed[u] - at.timestamp() for u, at in arrived if since <= at.timestamp() <= until
                    and u in committed]

        baseline = latencies(start - BEFORE + 1, start)
        result.baseline_p99_ms = percentile(baseline, 99) * 1000 if baseline else 0.0
        during = latencies(start, end)
        result.updates = len(during)
        if during:
            result.p50_ms, result.p99_ms = percentile(during, 50) * 1000, percentile(during, 99) * 1000
            result.max_ms = max(during) * 1000
        after = latencies(end, end + self.after)
        result.sending_updates = len(after)
        result.sending_p99_ms = percentile(after, 99) * 1000 if after else 0.0

    async def close(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
        await self.db.close()
        await self.server.stop()
        if self.admin_url is not None:
            await admin_execute(self.admin_url, f"DROP DATABASE IF EXISTS {self.url.rsplit('/', 1)[1]} WITH (FORCE)")


async def run_scale(members: int, reports: int, url: str | None, chunk: int, log, after: float = AFTER) -> ScaleResult:
    workdir = Path(tempfile.mkdtemp(prefix="linkage-scale-"))
    rig = ScaleRig(workdir, members, reports, url=url, chunk=chunk, after=after)
    result = ScaleResult(members, reports, "PostgreSQL" if url else "SQLite", chunk, after)
    try:
        log(f"building {members} members and {reports} reports...")
        result.data_seconds = await rig.build()
        log(f"data built in {result.data_seconds:.1f} s; the bot, {TALKERS} members using it, the weekly digest...")
        await rig.run(result)
        return result
    finally:
        await rig.close()
        shutil.rmtree(workdir, ignore_errors=True)


@click.command("scale")
@click.option("--members", type=click.IntRange(min=10), default=100_000, show_default=True)
@click.option("--reports", type=click.IntRange(min=10), default=1_000_000, show_default=True)
@click.option("--chunk", type=click.IntRange(min=1), default=HandlerConfig.digest_chunk, show_default=True,
              help="Members a digest chunk writes (LINKAGE_DIGEST_CHUNK).")
@click.pass_obj
def scale(settings, members: int, reports: int, chunk: int) -> None:
    """The weekly digest to N members over M reports while members use the bot: the digest's build
    time, its longest write transaction, members' p99 meanwhile, peak RSS. SQLite in a scratch
    folder by default; with --database postgresql://… a scratch database beside it (dropped after)."""
    url = settings.database if settings.database.startswith(("postgresql://", "postgres://")) else None
    result = asyncio.run(run_scale(members, reports, url, chunk, click.echo))
    click.echo(result.report())
