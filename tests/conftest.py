"""The end-to-end stack: the sandbox Bot API server over real HTTP, the real bot (framework
adapter, inbox, dispatcher, sender) on a real SQLite file, and the seeds.

Telegram's limits are enforced by the sandbox and kept by the sender, both scaled by the same
factor so the suite runs in seconds; the pacing logic is the same as in production.

Two tiers share the ``stack`` (and ``pg_stack``) fixture and its API. The HTTP tier runs each test
once per framework. A module with ``STACK_TIER = "fast"`` (or a test marked
``pytest.mark.tier("fast")``) runs once, in-process (tests/fast.py): the same sandbox state and bot
loops, without HTTP, adapters or pacing — for feature logic, which is framework-free. A test marked
``tier("http")`` stays on HTTP in such a module.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import asyncpg
from sqlalchemy import func, select

from bot import logs
from bot.app import LinkageApp
from bot.clock import Clock
from bot.demo.scenario import Pilot, World, build_pilot
from bot.sandbox import Limits, SandboxClient, SandboxServer
from bot.settings import Settings
from seeds.loader import load_seeds
from storage import schema
from storage.db import Database
from tests.fast import IN_PROCESS, UNLIMITED, InProcessApi, InProcessClient, outbox_emptied

# The command line reads its settings from the environment: like the stacks (quiet_hours="" below),
# a `linkage …` a test runs must not hold bulk messages because the suite runs after 21:00 in Shanghai.
os.environ["LINKAGE_QUIET_HOURS"] = ""

TOKEN = "6100000001:test-token"
# Thirty times Telegram's allowances, in the sandbox and in the sender alike: a scripted member
# waits for its chat's pace at every step, and the pace itself is test_sender's subject (its own rig).
SCALE = 30
FRAMEWORKS = ["aiogram", "ptb"]


def make_settings(tmp_path, base_url: str, **overrides) -> Settings:
    values = dict(bot_token=TOKEN, api_base=base_url, database=str(tmp_path / "linkage.db"), poll_timeout=1,
                  rate_global_per_second=30 * SCALE, rate_per_chat_per_second=1 * SCALE,
                  rate_per_group_per_minute=20 * SCALE, _env_file=None,
                  # scripted people act faster than people: their inbound limit is scaled too
                  # (tests/test_flood.py sets the real one with STACK_SETTINGS)
                  user_messages_per_minute=20 * SCALE,
                  # tests move the clock and fire timers themselves; no background tick between
                  scheduler_tick_seconds=3600,
                  # tests run at any hour: quiet hours only where a test is about them (test_quiet_hours)
                  quiet_hours="")
    values.update(overrides)
    return Settings(**values)


@dataclass
class Stack:
    server: SandboxServer
    sb: SandboxClient
    app: LinkageApp
    world: World
    _pilot: Pilot | None = None

    async def pilot(self) -> Pilot:
        if self._pilot is None:
            self._pilot = await build_pilot(self.world)
        return self._pilot

    async def count(self, table: str, **where) -> int:
        table_ = schema.metadata.tables[table]
        query = select(func.count()).select_from(table_)
        for column, value in where.items():
            query = query.where(table_.c[column] == value)
        async with self.app.db.read() as conn:
            return (await conn.execute(query)).scalar_one()

    async def row(self, table: str, **where):
        table_ = schema.metadata.tables[table]
        query = select(table_)
        for column, value in where.items():
            query = query.where(table_.c[column] == value)
        async with self.app.db.read() as conn:
            return (await conn.execute(query)).first()

    @property
    def fast(self) -> bool:
        return self.app.settings.framework == IN_PROCESS

    def new_app(self, **kwargs) -> LinkageApp:
        """Another bot on the same settings (a restart), reaching the sandbox the way this one does."""
        if self.fast:
            kwargs.setdefault("api", InProcessApi(self.server, TOKEN))
        return LinkageApp(self.app.settings, **kwargs)

    async def settle(self) -> None:
        """Wait until the bot has taken every update the sandbox holds for it (a press just made),
        handled them and sent every message."""
        bot = self.server.world.bots.get(TOKEN)
        deadline = time.monotonic() + 30
        while bot is not None and bot.updates and time.monotonic() < deadline:  # confirmed once stored
            await asyncio.sleep(0.005)
        await self.app.dispatcher.drain()
        if self.fast:
            assert await outbox_emptied(self.app.db, self.app.sender.wake), "the outbox did not empty"
        else:
            assert await self.app.sender.drain(timeout=30), "the outbox did not empty"


def pytest_configure(config):
    config.addinivalue_line("markers", "tier(name): 'fast' runs a stack test once in-process (tests/fast.py), "
                                       "'http' once per framework over HTTP; overrides the module's STACK_TIER")
    config.addinivalue_line("markers", "long: takes minutes (a real process, real pacing); started first")


def pytest_collection_modifyitems(items):
    """The long tests first: xdist hands the first tests out one by one in turn, so each worker
    starts on a long one and the short ones fill in around them, instead of one worker running
    the long ones alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable: otherwise as collected


def in_process(node, module) -> bool:
    """Whether a test is on the fast tier: its ``tier`` marker, else its module's STACK_TIER."""
    marker = node.get_closest_marker("tier")
    return (marker.args[0] if marker else getattr(module, "STACK_TIER", "http")) == "fast"


def pytest_generate_tests(metafunc):
    """HTTP-tier stack tests run once per supported framework (the test id names it)."""
    if "framework" in metafunc.fixturenames and not in_process(metafunc.definition, metafunc.module):
        metafunc.parametrize("framework", FRAMEWORKS, indirect=True)


@pytest.fixture
def framework(request) -> str:
    """The framework of an HTTP-tier test; IN_PROCESS (no framework) on the fast tier."""
    return getattr(request, "param", IN_PROCESS)


@pytest.fixture
async def sandbox(request):
    if in_process(request.node, request.module):  # no socket; flood limits are the HTTP tier's subject
        yield SandboxServer(limits=Limits(enabled=False))
        return
    server = SandboxServer(limits=Limits(scale=SCALE))
    await server.start()
    yield server
    await server.stop()


def stack_settings(tmp_path, server: SandboxServer, framework: str, request, **overrides) -> Settings:
    """The stack's settings; in-process, the sender does not pace (the sandbox does not limit)."""
    values = dict(framework=framework, log_file=str(tmp_path / "linkage.log"))
    if framework == IN_PROCESS:
        values.update(rate_global_per_second=UNLIMITED, rate_per_chat_per_second=UNLIMITED,
                      rate_per_group_per_minute=UNLIMITED)
    values.update(getattr(request.module, "STACK_SETTINGS", {}), **overrides)
    return make_settings(tmp_path, server.base_url or "http://in-process.invalid", **values)


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory) -> Path:
    """A SQLite file with the schema and the seeds, made once per worker: a stack on SQLite starts
    from a copy (loading the seeds takes a second; a copy, milliseconds)."""
    path = tmp_path_factory.mktemp("seeded") / "linkage.db"

    async def make() -> None:
        db = Database(str(path))
        await db.ensure_schema()
        await load_seeds(db, Clock().now())
        await db.close()
    asyncio.run(make())
    return path


async def open_stack(server: SandboxServer, settings: Settings, use_webhook: bool = False,
                     seeded: Path | bool | None = None):
    """The stack on ``settings.database``; a SQLite one from a copy of the file ``seeded`` if given;
    ``seeded=True``: the database has its seeds already (a PostgreSQL one made from the template)."""
    logs.setup("INFO", settings.log_file)
    fast = settings.framework == IN_PROCESS
    if isinstance(seeded, Path):
        shutil.copyfile(seeded, settings.database)
    app = LinkageApp(settings, api=InProcessApi(server, TOKEN) if fast else None)
    await app.db.ensure_schema()
    if not seeded:
        await load_seeds(app.db, app.clock.now())
    await app.start(use_webhook=use_webhook)
    sb = InProcessClient(server, TOKEN) if fast else SandboxClient(server.base_url, TOKEN)
    world = World(sb, app.db, app.clock.now, bot_username=app.me["username"])
    return Stack(server, sb, app, world)


async def close_stack(stack: Stack) -> None:
    await stack.sb.close()
    await stack.app.stop()


@pytest.fixture
async def stack(sandbox, tmp_path, framework, request, seeded_sqlite):
    stack = await open_stack(sandbox, stack_settings(tmp_path, sandbox, framework, request), seeded=seeded_sqlite)
    yield stack
    await close_stack(stack)


async def _admin(url: str, statement: str) -> None:
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@asynccontextmanager
async def fresh_postgres_database(template: str | None = None):
    """The URL of a PostgreSQL database of its own (a copy of ``template`` if given), made afresh
    and dropped after: test runs side by side never meet. Skips the test when no server is configured."""
    url = postgres_url()
    if not url:
        pytest.skip("LINKAGE_TEST_POSTGRES_URL is not set: PostgreSQL variant skipped")
    server_url, _, _ = url.rpartition("/")
    name = f"linkage_e2e_{uuid.uuid4().hex[:12]}"
    await _admin(url, f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield f"{server_url}/{name}"
    finally:
        await _admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def seeded_postgres():
    """The name of a PostgreSQL database with the schema and the seeds, made once per worker as a
    template (None without a server): a stack's own database is created from it, as a SQLite stack
    starts from a copy of ``seeded_sqlite`` (seeding takes half a second; a copy, a tenth)."""
    url = postgres_url()
    if not url:
        yield None
        return
    name = f"linkage_seeded_{uuid.uuid4().hex[:12]}"

    async def make() -> None:
        await _admin(url, f"CREATE DATABASE {name}")
        db = Database(f"{url.rpartition('/')[0]}/{name}")
        await db.ensure_schema()
        await load_seeds(db, Clock().now())
        await db.close()  # a template must have no sessions when it is copied
    asyncio.run(make())
    yield name
    asyncio.run(_admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
async def pg_stack(sandbox, tmp_path, framework, request, seeded_postgres):
    """The same stack on PostgreSQL, in a database of its own, a copy of the seeded template."""
    async with fresh_postgres_database(seeded_postgres) as database:
        stack = await open_stack(sandbox, stack_settings(tmp_path, sandbox, framework, request, database=database),
                                 seeded=True)
        yield stack
        await close_stack(stack)


def postgres_url() -> str | None:
    return os.environ.get("LINKAGE_TEST_POSTGRES_URL")
