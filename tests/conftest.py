"""The end-to-end stack: the sandbox Bot API server over real HTTP, the real bot (framework
adapter, inbox, dispatcher, sender) on a real SQLite file, and the seeds.

Telegram's limits are enforced by the sandbox and kept by the sender, both scaled by the same
factor so the suite runs in seconds; the pacing logic is the same as in production.
"""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import asyncpg
from sqlalchemy import func, select

from bot import logs
from bot.app import LinkageApp
from bot.demo.scenario import Pilot, World, build_pilot
from bot.sandbox import Limits, SandboxClient, SandboxServer
from bot.settings import Settings
from seeds.loader import load_seeds
from storage import schema

TOKEN = "6100000001:test-token"
SCALE = 10  # ten times Telegram's allowances, in the sandbox and in the sender alike


def make_settings(tmp_path, base_url: str, **overrides) -> Settings:
    values = dict(bot_token=TOKEN, api_base=base_url, database=str(tmp_path / "linkage.db"), poll_timeout=1,
                  rate_global_per_second=30 * SCALE, rate_per_chat_per_second=1 * SCALE,
                  rate_per_group_per_minute=20 * SCALE, _env_file=None,
                  # scripted people act faster than people: their inbound limit is scaled too
                  # (tests/test_flood.py sets the real one with STACK_SETTINGS)
                  user_messages_per_minute=20 * SCALE,
                  # tests move the clock and fire timers themselves; no background tick between
                  scheduler_tick_seconds=3600)
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

    async def settle(self) -> None:
        """Wait until the bot has handled every update and sent every message."""
        await self.app.dispatcher.drain()
        assert await self.app.sender.drain(timeout=30), "the outbox did not empty"


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request) -> str:
    """Every end-to-end test runs once per supported framework; the test id names it."""
    return request.param


@pytest.fixture
async def sandbox():
    server = SandboxServer(limits=Limits(scale=SCALE))
    await server.start()
    yield server
    await server.stop()


async def open_stack(server: SandboxServer, settings: Settings, use_webhook: bool = False):
    logs.setup("INFO", settings.log_file)
    app = LinkageApp(settings)
    await app.db.create_schema()
    await load_seeds(app.db, app.clock.now())
    await app.start(use_webhook=use_webhook)
    sb = SandboxClient(server.base_url, TOKEN)
    world = World(sb, app.db, app.clock.now, bot_username=app.me["username"])
    return Stack(server, sb, app, world)


async def close_stack(stack: Stack) -> None:
    await stack.sb.close()
    await stack.app.stop()


@pytest.fixture
async def stack(sandbox, tmp_path, framework, request):
    stack = await open_stack(sandbox, make_settings(tmp_path, sandbox.base_url, framework=framework,
                                                    log_file=str(tmp_path / "linkage.log"),
                                                    **getattr(request.module, "STACK_SETTINGS", {})))
    yield stack
    await close_stack(stack)


@asynccontextmanager
async def fresh_postgres_database():
    """The URL of a PostgreSQL database of its own, made afresh and dropped after: test runs side by
    side never meet. Skips the test when no server is configured."""
    url = postgres_url()
    if not url:
        pytest.skip("LINKAGE_TEST_POSTGRES_URL is not set: PostgreSQL variant skipped")
    server_url, _, _ = url.rpartition("/")
    name = f"linkage_e2e_{uuid.uuid4().hex[:12]}"
    admin_url = url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    try:
        yield f"{server_url}/{name}"
    finally:
        admin = await asyncpg.connect(admin_url)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest.fixture
async def pg_stack(sandbox, tmp_path, framework, request):
    """The same stack on PostgreSQL, in a database of its own."""
    async with fresh_postgres_database() as database:
        settings = make_settings(tmp_path, sandbox.base_url, log_file=str(tmp_path / "linkage.log"),
                                 database=database, framework=framework,
                                 **getattr(request.module, "STACK_SETTINGS", {}))
        stack = await open_stack(sandbox, settings)
        yield stack
        await close_stack(stack)


def postgres_url() -> str | None:
    return os.environ.get("LINKAGE_TEST_POSTGRES_URL")
