"""``linkage bench broadcast --members N``: the weekly digest to N members against the sandbox
Bot API server enforcing Telegram's real limits (30 messages/s per bot, 1/s per chat, 20/min per
group). A benchmark, not a test: it measures and prints, it asserts nothing.

The rig (``BroadcastRig``) is shared with ``tests/test_digest_crash.py``, which SIGKILLs the bot
in the middle of the same digest:

1. A fresh SQLite file with the reference seeds; N fictional members inserted directly (roster
   ids ``B00001``…, Telegram ids from ``USER_BASE``), a few hundred of their reports over the
   past week (some adopted, some anonymous) so the digest has numbers, highlights and progress.
2. The sandbox in this process, limits as Telegram's (``Limits()``, scale 1; the crash test
   multiplies every allowance by ``scale``, in the sandbox and the bot's sender alike). The N people
   exist there and have started the bot long ago (set on the sandbox's world directly: having
   each send /start would make the bot answer N messages before the digest).
3. The weekly digest's timer for the current period, due now, in the timers table.
4. Optionally (``latency``, ``--latency-ms``) every sendMessage is held that long before the
   sandbox answers, as a round trip to Telegram's servers takes, so more rows are in flight.
5. ``linkage run`` (``python -m bot.cli run``) as a child process, its sender at Telegram's
   real pace (the defaults). At start its scheduler fires the timer: chunks of members write the
   N drafts; the sender has each written just before it sends it.

Figures come from the sandbox (what it received, when, and how many 429s it answered) and from
the bot's database (rows queued, sent, caught 'sending').
"""

from __future__ import annotations

import asyncio
import gc
import random
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import click
from sqlalchemy import select

from bot.bench.process import BotProcess
from bot.clock import Clock
from bot.sandbox import Fault, Limits, SandboxClient, SandboxServer
from handlers.digests import schedule as digest_schedule
from handlers.core.context import HandlerConfig
from seeds.loader import load_seeds
from storage import items as item_store
from storage import outbox, timers
from storage.db import Database
from storage.schema import members

TOKEN = "7100000003:broadcast-bench"
USER_BASE = 6_100_000_000
HEAD = "📰"  # every weekly digest message starts with it
START_TIMEOUT = 120.0  # the start includes the firing that writes N rows
TOPICS = ("smart_parking", "smart_transport", "smart_elderly_care", "healthcare", "education", "housing")
DISTRICTS = ("hongqiao", "heping", "nankai", "hebei", None)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "晓静伟海志慧丽建雅思桂俊文欣明怡东燕强敏娟国琴远兰杰博然"


@dataclass
class BroadcastResult:
    members: int
    framework: str
    latency: float = 0.0  # seconds the sandbox holds each sendMessage (a round trip to Telegram)
    queued: int = 0  # outbox rows the firing wrote
    build_seconds: float = 0.0  # bot process start → all rows written (start-up included)
    send_seconds: float = 0.0  # first digest message received → last
    total_seconds: float = 0.0  # bot process start → last message received
    delivered: int = 0  # members who received it
    missing: int = 0  # members who did not
    duplicates: int = 0  # extra copies received
    rate_limited: int = 0  # 429s the sandbox answered
    peak_per_second: int = 0
    per_second: list[int] = field(default_factory=list)
    mid_send: int = 0  # rows 'sending' at the kill (crash test only)
    killed_after: int = 0  # rows sent when the bot was killed (crash test only)

    @property
    def rate(self) -> float:
        return self.delivered_messages / self.send_seconds if self.send_seconds else 0.0

    @property
    def delivered_messages(self) -> int:
        return self.delivered + self.duplicates

    def report(self) -> str:
        lines = [
            f"linkage bench broadcast — {self.members} members, framework {self.framework}, sandbox enforcing "
            f"Telegram's limits (30/s per bot, 1/s per chat, 20/min per group), sendMessage held "
            f"{self.latency * 1000:.0f} ms",
            f"  digest rows queued: {self.queued} (bot start → rows written "
            f"{self.build_seconds:.1f} s)",
            f"  delivered: {self.delivered}/{self.members} members, {self.missing} missing, "
            f"{self.duplicates} duplicates",
            f"  sending: {self.send_seconds:.1f} s, {self.rate:.1f} messages/s = {self.rate / 30:.0%} of the "
            f"30/s limit (peak second {self.peak_per_second})",
            f"  429 Too Many Requests received: {self.rate_limited}",
            f"  time to finish (bot start → last message): {self.total_seconds:.1f} s",
        ]
        if self.killed_after:
            lines.append(f"  SIGKILL after {self.killed_after} rows sent; {self.mid_send} rows were 'sending'")
        return "\n".join(lines)


class BroadcastRig:
    def __init__(self, workdir: Path, members: int, *, framework: str = "aiogram", latency: float = 0.0,
                 seed: int = 20240615, scale: float = 1.0):
        self.workdir, self.n, self.framework, self.latency = Path(workdir), members, framework, latency
        self.scale = scale
        self.random = random.Random(seed)
        self.clock = Clock()
        self.config = HandlerConfig(quiet_hours="")  # a measurement runs at any hour
        self.server = SandboxServer(limits=Limits(scale=scale))  # Telegram's real limits unless scaled
        self.db = Database(str(self.workdir / "linkage.db"))
        self.bot: BotProcess | None = None
        self.due = digest_schedule.current_weekly(self.clock.now(), self.config)
        self.period = digest_schedule.period_of("weekly", self.due)
        self.user_ids: list[int] = []
        self._reader: sqlite3.Connection | None = None

    # -- setting up ------------------------------------------------------------------------

    async def setup(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        await self.server.start()
        await self.db.ensure_schema()
        now = self.clock.now()
        await load_seeds(self.db, now, roster=False)
        async with self.db.transaction() as conn:
            await self._members(conn, now)
            await self._reports(conn, now)
            # the weekly digest of the current period, falling due now; no expiry: a benchmark
            await timers.schedule(conn, digest_schedule.timer_key("weekly", self.due), "digest_weekly", self.due)
        world = self.server.world
        bot = world.bot(TOKEN)
        for index, uid in enumerate(self.user_ids):
            world.new_user(self._name(index), id=uid, language_code="zh-hans").started.add(bot.id)
        if self.latency > 0:
            async with SandboxClient(self.server.base_url, TOKEN) as sb:
                await sb.faults(Fault("timeout", method="sendMessage", rate=1.0, seconds=self.latency))
        # The sandbox plays Telegram's clock in this process: a long garbage-collection pause here
        # would stamp a burst of arrivals late and make the next second look crowded. The N people
        # and chats made above live to the end, so take them out of the collector's scans.
        gc.collect()
        gc.freeze()

    def _name(self, index: int) -> str:
        return SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)] + \
            GIVEN[(index * 7) % len(GIVEN)]

    async def _members(self, conn, now) -> None:
        rows = []
        for index in range(self.n):
            district = DISTRICTS[index % len(DISTRICTS)]
            rows.append({"roster_id": f"B{index + 1:05d}", "name": self._name(index),
                         "level": "district" if district == "hongqiao" else "city", "district_code": district,
                         "role": "member", "language": "zh", "telegram_user_id": USER_BASE + index,
                         "reachable": True, "active": True, "created_at": now})
        await conn.execute(members.insert(), rows)
        self.user_ids = [USER_BASE + i for i in range(self.n)]

    async def _reports(self, conn, now) -> None:
        """One report per 10 members over the past week; a third adopted, a fifth anonymous."""
        ids = list((await conn.execute(select(members.c.id).order_by(members.c.id))).scalars())
        year = now.year
        for number in range(max(1, self.n // 10)):
            author = self.random.choice(ids)
            created = now - timedelta(hours=self.random.uniform(1, 160))
            adopted = number % 3 == 0
            district = DISTRICTS[number % len(DISTRICTS)]
            item_id = await item_store.create(
                conn, files=[], code=await item_store.next_code(conn, year), author_id=author,
                topic_code=TOPICS[number % len(TOPICS)], area="district" if district else "city",
                district_code=district, street_code=None, observation="夜间停车难，道路拥堵。",
                analysis=None, suggestion="推行错时共享停车。",
                privacy=("anonymous", "named", "named", "office", "named")[number % 5],
                status="adopted" if adopted else "routed", level="district" if district else "city",
                outcome="adopted" if adopted else None, source_key=f"bench:{number}", created_at=created,
                updated_at=created)
            await item_store.add_event(conn, item_id, "submitted", created, actor_id=author, status_to="submitted")
            await item_store.add_event(conn, item_id, "routed", created, status_from="submitted", status_to="routed")
            if adopted:
                await item_store.add_event(conn, item_id, "outcome", created + timedelta(minutes=30),
                                           status_from="claimed", status_to="adopted", reason="采用")

    def env(self) -> dict:
        """The sender keeps Telegram's limits, times ``scale`` like the sandbox's."""
        return dict(LINKAGE_BOT_TOKEN=TOKEN, LINKAGE_API_BASE=self.server.base_url,
                    LINKAGE_DATABASE=str(self.workdir / "linkage.db"), LINKAGE_FRAMEWORK=self.framework,
                    LINKAGE_POLL_TIMEOUT="1", LINKAGE_LOG_FILE=str(self.workdir / "linkage.log"),
                    LINKAGE_CHARTS_DIR=str(self.workdir / "charts"), LINKAGE_QUIET_HOURS="",
                    LINKAGE_RATE_GLOBAL_PER_SECOND=str(30 * self.scale),
                    LINKAGE_RATE_PER_CHAT_PER_SECOND=str(1 * self.scale),
                    LINKAGE_RATE_PER_GROUP_PER_MINUTE=str(20 * self.scale))

    # -- running ---------------------------------------------------------------------------

    async def start_bot(self) -> None:
        if self.bot is None:
            self.bot = BotProcess(self.env(), self.workdir)
        await self.bot.start(self.bot.logged_start, START_TIMEOUT)

    def _read(self, sql: str, *args) -> list:
        """A plain read on a read-only connection of its own. (``Database.read`` begins IMMEDIATE,
        taking SQLite's write lock: polled from here it would hold up the bot's own writes.)"""
        if self._reader is None:
            self._reader = sqlite3.connect(f"file:{self.workdir / 'linkage.db'}?mode=ro", uri=True, timeout=30,
                                           check_same_thread=False)
        return self._reader.execute(sql, args).fetchall()

    async def rows(self) -> dict[str, int]:
        """Digest rows of this period by status."""
        return dict(await asyncio.to_thread(
            self._read, "SELECT status, count(*) FROM outbox WHERE key LIKE ? GROUP BY status",
            f"digest:{self.period}:%"))

    async def wait_rows(self, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while True:
            queued = sum((await self.rows()).values())
            if queued >= self.n or time.monotonic() > deadline:
                return queued
            await asyncio.sleep(0.1)

    async def wait_sent(self, count: int, timeout: float = 300) -> bool:
        """Until ``count`` digest rows are sent (or ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (await self.rows()).get("sent", 0) >= count:
                return True
            await asyncio.sleep(0.2)
        return False

    async def wait_in_flight(self, sent: int, timeout: float = 120) -> bool:
        """Until at least ``sent`` rows are sent and some are 'sending' right now (True), or until
        ``timeout`` (False: the caller kills anyway). Polls every few milliseconds."""
        deadline = time.monotonic() + timeout
        if not await self.wait_sent(sent, timeout):
            return False
        while time.monotonic() < deadline:  # a light query (the status index): the sandbox shares this loop
            sending = (await asyncio.to_thread(
                self._read, "SELECT count(*) FROM outbox WHERE status = 'sending'"))[0][0]
            if sending:
                return True
            await asyncio.sleep(0.01)
        return False

    async def wait_done(self, timeout: float = 300) -> dict[str, int]:
        """Until no digest row is still to be sent (a draft, pending or sending); returns the rows by
        status."""
        deadline = time.monotonic() + timeout
        while True:
            rows = await self.rows()
            if not any(rows.get(status) for status in outbox.UNSENT):
                return rows
            if time.monotonic() > deadline:
                raise TimeoutError(f"the digest did not finish within {timeout:.0f} s: {rows}")
            await asyncio.sleep(0.2)

    def received(self) -> Counter:
        """Digest messages each member's chat holds (read from the sandbox's world)."""
        world = self.server.world
        bot = world.bot(TOKEN)
        counts = Counter()
        for uid in self.user_ids:
            chat = world.private.get((bot.id, uid))
            if chat is None:
                continue
            counts[uid] = sum(1 for m in chat.messages.values()
                              if m.bot_id == bot.id and (m.text or "").startswith(HEAD))
        return counts

    def rate_limit_times(self) -> list[float]:
        """When the sandbox answered 429 (time.time()), for a diagnosis."""
        return [c["time"] for c in self.server.world.calls if c.get("status") == 429]

    def send_times(self) -> list[float]:
        return sorted(self.server.world.bot(TOKEN).sent_at)

    async def close(self) -> None:
        gc.unfreeze()
        if self.bot is not None:
            await self.bot.stop()
        if self._reader is not None:
            self._reader.close()
        await self.db.close()
        await self.server.stop()

    async def result(self, started: float, rows_at: float) -> BroadcastResult:
        """``started``, ``rows_at``: ``time.time()`` of the bot's start and of all rows written."""
        async with SandboxClient(self.server.base_url, TOKEN) as sb:
            stats = await sb.stats()
        got = self.received()
        sent = self.send_times()
        per_second = Counter(int(t - sent[0]) for t in sent) if sent else Counter()
        return BroadcastResult(
            members=self.n, framework=self.framework, latency=self.latency, queued=sum((await self.rows()).values()),
            build_seconds=rows_at - started, send_seconds=(sent[-1] - sent[0]) if len(sent) > 1 else 0.0,
            total_seconds=(sent[-1] - started) if sent else 0.0,
            delivered=sum(1 for uid in self.user_ids if got[uid] >= 1),
            missing=sum(1 for uid in self.user_ids if got[uid] == 0),
            duplicates=sum(max(0, got[uid] - 1) for uid in self.user_ids),
            rate_limited=stats["rate_limited"], peak_per_second=max(per_second.values(), default=0),
            per_second=[per_second[s] for s in range(max(per_second, default=-1) + 1)])


async def run_broadcast(members: int, framework: str = "aiogram", workdir: Path | None = None, *,
                        latency: float = 0.0) -> BroadcastResult:
    """The benchmark: set up, start the bot, wait for the digest to reach everyone, measure."""
    own = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="linkage-broadcast-")) if own else workdir
    rig = BroadcastRig(workdir, members, framework=framework, latency=latency)
    try:
        await rig.setup()
        started = time.time()
        await rig.start_bot()
        await rig.wait_rows()
        rows_at = time.time()
        await rig.wait_done(timeout=max(300.0, members / 10))
        return await rig.result(started, rows_at)
    finally:
        await rig.close()
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


@click.command("broadcast")
@click.option("--members", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Members the weekly digest goes to.")
@click.option("--framework", type=click.Choice(["aiogram", "ptb"]), default="aiogram", show_default=True)
@click.option("--latency-ms", type=click.IntRange(min=0, max=5000), default=0, show_default=True,
              help="Hold each sendMessage this long in the sandbox (a round trip to Telegram).")
def broadcast(members: int, framework: str, latency_ms: int) -> None:
    """The weekly digest to N members against the sandbox enforcing Telegram's limits:
    messages/s against the 30/s limit, 429s received, time to finish."""
    click.echo(f"setting up {members} members, the sandbox and the bot (about {members / 28 + 15:.0f} s)...")
    result = asyncio.run(run_broadcast(members, framework, latency=latency_ms / 1000))
    click.echo(result.report())
