"""``linkage bench updates``: the real bot under many members at once, next to a bare echo bot.

A benchmark, not a test: it measures and prints, it asserts no timing.

One run, one sandbox Bot API server in this process (flood limits off: this measures the bot, not
Telegram's pacing), then two bots on the same framework, one after the other, each as a process
of its own so that its peak RSS can be sampled:

1. Linkage (``python -m bot.cli run``) on a fresh SQLite file with the seeds, its sender's rates
   raised to match the sandbox. N fictional members join through invite links, the office binds
   a few topic groups, then for S seconds every member goes through the guided submit flow
   (``World.submit``, city-wide reports on the bound topics) again and again, all at once.
   updates/s = inbox rows committed in the window / window; inbox → commit = the row's arrival in
   the inbox (``received_at``) → the commit of the transaction that handled it and wrote its
   outbox rows (the dispatcher's "update handled" log line, written right after the commit).
2. A bare echo bot (``python -m bot.adapters.echo``, a second token): the same N members each send
   a text, wait for the echo, repeat, for S seconds. updates/s = echoes in the window / window.

Both echo bots keep their framework's defaults: aiogram handles each update in a task of its own,
PTB one at a time (as Linkage's dispatcher does). A run takes about 2 × S + 20 s.

For both, the sandbox round trip — a member's message event → the bot's first message (or edit)
in that chat, from the sandbox's own event log — gives comparable p50/p99 latencies.

The simulated members read the sandbox's event log in this process (each from its own chat)
rather than each long-polling ``/control/events`` over HTTP, which would make the driver, not
the bots, the bottleneck; their actions still go through the control API over HTTP, and both
bots talk to the sandbox only over HTTP.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp
import psutil
from sqlalchemy import func, select

from bot.bench.process import START_TIMEOUT, BotProcess
from bot.clock import Clock
from bot.demo.scenario import World
from bot.sandbox import Limits, SandboxClient, SandboxError, SandboxServer, SbUser
from handlers.office import roster
from seeds.loader import load_seeds
from storage.db import Database
from storage.schema import inbox, outbox

LINKAGE_TOKEN = "7100000001:linkage-bench"
ECHO_TOKEN = "7100000002:echo-bench"
TOPICS = ("smart_parking", "smart_transport", "smart_elderly_care")  # the bound topic groups
# the members submit again and again as fast as the bot answers: their inbound limit is raised too
RAISED_RATES = {"LINKAGE_RATE_GLOBAL_PER_SECOND": "100000", "LINKAGE_RATE_PER_CHAT_PER_SECOND": "100000",
                "LINKAGE_RATE_PER_GROUP_PER_MINUTE": "6000000", "LINKAGE_USER_MESSAGES_PER_MINUTE": "6000000"}
JOIN_CONCURRENCY = 10
SETTLE_TIMEOUT = 10.0
SAMPLE_EVERY = 0.1
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) \S+ linkage\.dispatcher update handled .*?"
                      r"\bupdate_id=(\d+)")
OBSERVATIONS = ("老旧小区夜间停车难，车辆占用非机动车道。", "早高峰公交换乘等候时间长，站台信息屏常年不亮。",
                "社区助餐点覆盖不足，独居老人用餐不便。")
SUGGESTIONS = ("推行错时共享停车，在小程序上公开剩余车位。", "优化换乘线路并修复站台实时到站信息。",
               "扩大社区助餐点布局，并提供送餐上门服务。")


# ---------------------------------------------------------------- results

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN when there is nothing to rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


@dataclass
class BotRun:
    """What one bot did in its measured window."""

    label: str
    handled: int = 0                                        # updates handled in the window
    window: float = 0.0                                     # seconds
    round_trips: list[float] = field(default_factory=list)  # seconds, member message -> first reply
    peak_rss: int = 0                                       # bytes
    cpu_percent: float = 0.0                                # of one core, over the window
    driver_cpu_percent: float = 0.0                         # this process: sandbox + members
    machine_cpu_percent: float = 0.0                        # every process, all cores = 100
    errors: int = 0                                         # member loops that timed out or failed

    @property
    def rate(self) -> float:
        return self.handled / self.window if self.window else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.round_trips, 50) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.round_trips, 99) * 1000

    @property
    def others_cpu_percent(self) -> float:
        return max(0.0, self.machine_cpu_percent - self.cpu_percent - self.driver_cpu_percent)

    @property
    def rss_mb(self) -> float:
        return self.peak_rss / 1024 / 1024


@dataclass
class BenchResult:
    framework: str
    members: int
    seconds: float
    linkage: BotRun
    echo: BotRun
    commit_latencies: list[float] = field(default_factory=list)  # seconds, inbox arrival -> commit
    commit_source: str = "log"
    reports: int = 0
    stages: dict[str, list[float]] = field(default_factory=dict)  # seconds, per member message

    def report(self) -> str:
        def num(value: float, digits: int = 1) -> str:
            return "—" if value is None or math.isnan(value) else f"{value:.{digits}f}"

        def ratio(a: float, b: float) -> str:
            return "—" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.2f}"

        lk, ec = self.linkage, self.echo
        rows = [("", "updates/s", "p50 ms", "p99 ms", "peak RSS MB", "bot CPU %"),
                ("Linkage (submit flow)", num(lk.rate), num(lk.p50_ms), num(lk.p99_ms), num(lk.rss_mb),
                 num(lk.cpu_percent, 0)),
                (f"echo bot ({self.framework})", num(ec.rate), num(ec.p50_ms), num(ec.p99_ms), num(ec.rss_mb),
                 num(ec.cpu_percent, 0)),
                ("Linkage / echo", ratio(lk.rate, ec.rate), ratio(lk.p50_ms, ec.p50_ms), ratio(lk.p99_ms, ec.p99_ms),
                 ratio(lk.rss_mb, ec.rss_mb), "")]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        table = ["  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r))
                 .rstrip() for r in rows]
        commit = self.commit_latencies
        return "\n".join([
            f"linkage bench updates — framework {self.framework}, {self.members} members, "
            f"{num(self.seconds, 0)} s per bot",
            "Sandbox flood limits are off and Linkage's sender rates are raised to match: "
            "this measures the bot, not Telegram's pacing.",
            "",
            *table,
            "",
            "p50/p99: sandbox round trip, a member's message → the bot's first reply in that chat.",
            f"Linkage inbox → commit: p50 {num(percentile(commit, 50) * 1000)} ms, "
            f"p99 {num(percentile(commit, 99) * 1000)} ms over {len(commit)} updates "
            f"(arrival in the inbox → commit of its transaction and outbox rows; from the {self.commit_source}).",
            f"Linkage: {lk.handled} updates handled, {self.reports} reports submitted in {num(lk.window)} s, "
            f"{lk.errors} member errors; echo: {ec.handled} echoes in {num(ec.window)} s, {ec.errors} member errors.",
            "Linkage round trip by stage, p50 / p99 ms: " + ", ".join(
                f"{name} {num(percentile(v, 50) * 1000)} / {num(percentile(v, 99) * 1000)}"
                for name, v in self.stages.items()) + ".",
            f"CPU % of one core in Linkage's / the echo bot's window: this process (sandbox + simulated members) "
            f"{num(lk.driver_cpu_percent, 0)} / {num(ec.driver_cpu_percent, 0)}; other processes on the machine "
            f"{num(lk.others_cpu_percent, 0)} / {num(ec.others_cpu_percent, 0)} "
            f"(of {psutil.cpu_count() * 100} on {psutil.cpu_count()} cores; busy neighbours skew the figures).",
        ])


# ---------------------------------------------------------------- the simulated members' view of the event log

class EventRouter:
    """Follows the in-process sandbox's event log and files each event under its chat, so that a
    member waiting for a reply looks only at its own chat's events."""

    def __init__(self, server: SandboxServer):
        self.server = server
        self.seq = server.world.seq
        self.by_chat: dict[int, list[dict]] = defaultdict(list)
        self._signals: dict[int, asyncio.Event] = {}
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="bench-event-router")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _follow(self) -> None:
        while True:
            for event in await self.server.world.wait_events(self.seq, 5.0, 100_000):
                self.seq = event["seq"]
                chat_id = event.get("chat_id")
                if chat_id is None:
                    continue
                self.by_chat[chat_id].append(event)
                if (signal_ := self._signals.pop(chat_id, None)) is not None:
                    signal_.set()

    async def events(self, chat_id: int, after: int, timeout: float, limit: int) -> list[dict]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            events = self.by_chat.get(chat_id, [])
            start = bisect.bisect_right(events, after, key=lambda e: e["seq"])
            if start < len(events):
                return events[start:start + limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            signal_ = self._signals.setdefault(chat_id, asyncio.Event())
            try:  # not asyncio.wait_for: on 3.11 it can swallow a cancellation that races its result
                async with asyncio.timeout(remaining):
                    await signal_.wait()
            except TimeoutError:
                return []


class RoutedClient(SandboxClient):
    """A SandboxClient whose ``wait_for`` reads the chat's events from the router, not over HTTP."""

    def __init__(self, server: SandboxServer, token: str, router: EventRouter, session: aiohttp.ClientSession):
        super().__init__(server.base_url, token, session=session)
        self.router = router
        self._watch: int | None = None

    async def wait_for(self, chat, predicate=None, timeout: float = 10.0, *, thread: int | None = None,
                       after: int | None = None):
        self._watch = chat if isinstance(chat, int) else chat.id
        try:
            return await super().wait_for(chat, predicate, timeout, thread=thread, after=after)
        finally:
            self._watch = None

    async def events(self, after: int = 0, timeout: float = 0, limit: int = 1000) -> list[dict]:
        if self._watch is None:
            return await super().events(after, timeout, limit)
        return await self.router.events(self._watch, after, timeout, limit)


# ---------------------------------------------------------------- bot processes

class SampledBot(BotProcess):
    """A bot process whose RSS is sampled every 100 ms from start to exit, and whose CPU time is read."""

    peak_rss = 0
    _sampler: asyncio.Task | None = None

    async def start(self, ready: Callable[[], bool] | None = None, timeout: float = START_TIMEOUT) -> None:
        await super().start()
        self.ps = psutil.Process(self.pid)
        self._sampler = asyncio.create_task(self._sample(), name=f"rss-{self.label}")
        if ready is not None:
            await self.wait_until(ready, timeout)

    async def _sample(self) -> None:
        while self.running:
            try:
                self.peak_rss = max(self.peak_rss, self.ps.memory_info().rss)
            except psutil.Error:
                return
            await asyncio.sleep(SAMPLE_EVERY)

    def cpu_seconds(self) -> float:
        try:
            times = self.ps.cpu_times()
        except psutil.Error:
            return 0.0
        return times.user + times.system

    async def stop(self, *args, **kwargs) -> int | None:
        try:
            return await super().stop(*args, **kwargs)
        finally:
            if self._sampler is not None:
                self._sampler.cancel()


def polling(server: SandboxServer, token: str):
    """A readiness condition: the bot's first getUpdates has reached the sandbox."""
    def condition() -> bool:
        state = server.world.bots.get(token)
        return state is not None and state.calls["getUpdates"] > 0
    return condition


# ---------------------------------------------------------------- measuring

def replies(events: list[dict], bot_id: int, start: float, end: float) -> list[tuple[dict, float]]:
    """(member message event sent within [start, end], time of the bot's first message or edit in that chat)."""
    pending: dict[int, dict] = {}
    found = []
    for event in events:
        if event["type"] not in ("message", "edited") or event.get("bot_id") != bot_id:
            continue
        chat_id = event["chat_id"]
        if event["from_bot"]:
            if (sent := pending.pop(chat_id, None)) is not None:
                found.append((sent, event["time"]))
        elif event["type"] == "message" and start <= event["time"] <= end:
            pending.setdefault(chat_id, event)
    return found


def commit_times(log_file: Path) -> dict[int, float]:
    """update_id -> epoch time of its "update handled" log line (local-time asctime, ms)."""
    times: dict[int, float] = {}
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return times
    for line in lines:
        if (m := LOG_LINE.match(line)) is not None:
            stamp = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000
            times[int(m.group(3))] = stamp
    return times


async def _settle(db: Database, bot: SampledBot) -> None:
    """Let the bot finish what arrived in the window (so late replies still count), briefly."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline and bot.running:
        async with db.read() as conn:
            waiting = (await conn.execute(select(func.count()).select_from(inbox).where(inbox.c.status == "new"))
                       ).scalar_one()
            sending = (await conn.execute(select(func.count()).select_from(outbox).where(
                outbox.c.status.in_(("pending", "sending"))))).scalar_one()
        if not waiting and not sending:
            return
        await asyncio.sleep(0.2)


async def _cancel(tasks: list[asyncio.Task]) -> None:
    """Cancel the tasks and wait for them, cancelling again any that let a cancellation slip."""
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1.0)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as never retrieved


# ---------------------------------------------------------------- the two phases

@dataclass
class _Counters:
    reports: int = 0
    errors: int = 0


async def _linkage_phase(server: SandboxServer, router: EventRouter, session: aiohttp.ClientSession,
                         result: BenchResult, workdir: Path, log) -> list[SbUser]:
    """Fills in ``result``'s Linkage figures; returns the members (the echo phase reuses them)."""
    framework, members, seconds = result.framework, result.members, result.seconds
    database, log_file = workdir / "linkage.db", workdir / "linkage.log"
    db = Database(str(database))
    bot = SampledBot({
        "LINKAGE_FRAMEWORK": framework, "LINKAGE_API_BASE": server.base_url, "LINKAGE_DATABASE": str(database),
        "LINKAGE_BOT_TOKEN": LINKAGE_TOKEN, "LINKAGE_POLL_TIMEOUT": "1", "LINKAGE_LOG_FILE": str(log_file),
        "LINKAGE_LOG_LEVEL": "INFO", **RAISED_RATES}, workdir, label="linkage")
    tasks: list[asyncio.Task] = []
    try:
        clock = Clock()
        await db.ensure_schema()
        await load_seeds(db, clock.now())
        rows = [{"roster_id": f"B{i:04d}", "name": f"测试委员{i:04d}", "level": "city", "role": "member",
                 "language": "zh"} for i in range(1, members + 1)]
        async with db.transaction() as conn:
            imported = await roster.import_roster(conn, rows, clock.now())
        if not imported.ok:
            raise RuntimeError("bench roster rejected: " + "; ".join(imported.lines()))

        log(f"starting Linkage ({framework}) against the sandbox at {server.base_url}")
        await bot.start(polling(server, LINKAGE_TOKEN))
        username = server.world.bots[LINKAGE_TOKEN].username

        def new_world() -> World:
            return World(RoutedClient(server, LINKAGE_TOKEN, router, session), db, clock.now, bot_username=username)

        setup = new_world()
        office = await setup.join("O001", "何欣然")
        for code in TOPICS:
            await setup.bound_group(f"topic:{code}", "topic", f"市政协·{code}", office, [], topic=code)
        log(f"{members} members join through invite links; {len(TOPICS)} topic groups bound")

        gate = asyncio.Semaphore(JOIN_CONCURRENCY)

        async def join(i: int) -> tuple[World, SbUser]:
            async with gate:
                world = new_world()
                return world, await world.join(f"B{i:04d}", f"测试委员{i:04d}")

        joined = await asyncio.gather(*(join(i) for i in range(1, members + 1)))

        counters = _Counters()
        stop = asyncio.Event()

        async def member(i: int, world: World, user: SbUser) -> None:
            k = i
            while not stop.is_set():
                n = k % len(TOPICS)
                try:
                    await world.submit(user, topic=TOPICS[n], area="city", observation=OBSERVATIONS[n],
                                       suggestion=SUGGESTIONS[n])
                    counters.reports += 1
                except (TimeoutError, SandboxError, aiohttp.ClientError):
                    counters.errors += 1
                    world.sb.cursor = router.seq  # start the next report after whatever came late
                k += 1

        log(f"measuring Linkage for {seconds:g} s")
        window = _Window(bot)
        tasks = [asyncio.create_task(member(i, w, u)) for i, (w, u) in enumerate(joined)]
        await asyncio.sleep(seconds)
        run = result.linkage = window.close(BotRun("linkage"))
        stop.set()
        start, end = window.start, window.end
        run.errors, result.reports = counters.errors, counters.reports
        await _cancel(tasks)
        await _settle(db, bot)
        await bot.stop()

        committed = commit_times(log_file)
        async with db.read() as conn:
            handled = (await conn.execute(select(inbox.c.update_id, inbox.c.received_at, inbox.c.handled_at,
                                                 inbox.c.payload).where(inbox.c.status == "done"))).all()
        result.commit_source = "dispatcher's log" if committed else "inbox's handled_at"
        latencies = result.commit_latencies
        by_message: dict[tuple[int, int], tuple[float, float]] = {}  # (chat, message) -> (received, committed)
        for update_id, received_at, handled_at, payload in handled:
            at = committed.get(update_id, handled_at.timestamp())
            if start <= at <= end:
                latencies.append(at - received_at.timestamp())
            if (message := payload.get("message")) is not None:
                by_message[(message["chat"]["id"], message["message_id"])] = (received_at.timestamp(), at)
        run.handled = len(latencies)
        pairs = replies(server.world.events, server.world.bots[LINKAGE_TOKEN].id, start, end)
        run.round_trips = [reply - sent["time"] for sent, reply in pairs]
        run.peak_rss = bot.peak_rss
        stages = result.stages = {"sandbox → inbox": [], "inbox → commit": [], "commit → reply at the sandbox": []}
        for sent, reply in pairs:
            if (times := by_message.get((sent["chat_id"], sent["message_id"]))) is not None:
                for name, value in zip(stages, (times[0] - sent["time"], times[1] - times[0], reply - times[1])):
                    stages[name].append(value)
        return [user for _, user in joined]
    finally:
        await _cancel(tasks)
        await bot.stop()
        await db.close()


async def _echo_phase(server: SandboxServer, router: EventRouter, session: aiohttp.ClientSession, framework: str,
                      users: list[SbUser], seconds: float, workdir: Path, log) -> BotRun:
    bot = SampledBot({}, workdir, label="echo", args=("-m", "bot.adapters.echo", "--framework", framework,
                                                      "--api-base", server.base_url, "--token", ECHO_TOKEN))
    tasks: list[asyncio.Task] = []
    try:
        log(f"starting the bare echo bot ({framework})")
        await bot.start(polling(server, ECHO_TOKEN))
        counters = _Counters()
        stop = asyncio.Event()

        async def member(i: int, user: SbUser) -> None:
            client = RoutedClient(server, ECHO_TOKEN, router, session)
            k = 0
            while not stop.is_set():
                text = f"echo {i}-{k}"
                try:
                    await client.send(user, text)
                    await client.wait_for(user, lambda m: m.text == text, 30)
                except (TimeoutError, SandboxError, aiohttp.ClientError):
                    counters.errors += 1
                k += 1

        log(f"measuring the echo bot for {seconds:g} s")
        window = _Window(bot)
        tasks = [asyncio.create_task(member(i, u)) for i, u in enumerate(users)]
        await asyncio.sleep(seconds)
        run = window.close(BotRun("echo"))
        stop.set()
        start, end = window.start, window.end
        run.errors = counters.errors
        await _cancel(tasks)
        state = server.world.bots[ECHO_TOKEN]
        deadline = time.monotonic() + SETTLE_TIMEOUT  # let the last echoes come back
        while state.updates and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        await bot.stop()
        bot_id = state.id
        run.handled = sum(1 for e in server.world.events if e["type"] == "message" and e["from_bot"]
                          and e.get("bot_id") == bot_id and start <= e["time"] <= end)
        run.round_trips = [reply - sent["time"] for sent, reply in replies(server.world.events, bot_id, start, end)]
        run.peak_rss = bot.peak_rss
        return run
    finally:
        await _cancel(tasks)
        await bot.stop()


def _own_cpu() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def _machine_busy() -> float:
    """CPU seconds every process on the machine has used, all cores together."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


class _Window:
    """The measured window: wall time, and the CPU the bot, this process and the machine used in it."""

    def __init__(self, bot: SampledBot):
        self.bot = bot
        self.start = time.time()
        self.end = self.start
        self._cpu = (bot.cpu_seconds(), _own_cpu(), _machine_busy())

    def close(self, run: BotRun) -> BotRun:
        self.end = time.time()
        run.window = self.end - self.start
        bot, own, machine = self._cpu
        run.cpu_percent = (self.bot.cpu_seconds() - bot) / run.window * 100
        run.driver_cpu_percent = (_own_cpu() - own) / run.window * 100
        run.machine_cpu_percent = (_machine_busy() - machine) / run.window * 100
        return run


async def run_bench(framework: str = "aiogram", members: int = 50, seconds: float = 30.0, *,
                    log=lambda line: print(line, file=sys.stderr, flush=True)) -> BenchResult:
    """Run both phases and return the figures (``result.report()`` is the printed table)."""
    if framework not in ("aiogram", "ptb"):
        raise ValueError(f"unknown framework {framework!r} (choose aiogram or ptb)")
    if members < 1 or seconds <= 0:
        raise ValueError("members must be at least 1 and seconds positive")
    workdir = Path(tempfile.mkdtemp(prefix="linkage-bench-"))
    server = SandboxServer(limits=Limits(enabled=False))
    router = EventRouter(server)
    session: aiohttp.ClientSession | None = None
    try:
        await server.start()
        router.start()
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        result = BenchResult(framework, members, seconds, BotRun("linkage"), BotRun("echo"))
        users = await _linkage_phase(server, router, session, result, workdir, log)
        result.echo = await _echo_phase(server, router, session, framework, users, seconds, workdir, log)
        return result
    finally:
        if session is not None:
            await session.close()
        await router.stop()
        await server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
