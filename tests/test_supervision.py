"""Supervision, malformed updates and durability: loops made to fail for real (a full SQLite
database, a database refusing writes, an HTML 502 from a proxy in front of the Bot API server,
updates without the shape Telegram promises) are logged with their traceback, started again,
and the bot keeps answering; /healthz and `linkage status` tell which loop is stalled."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import uuid
from datetime import timedelta

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from click.testing import CliRunner
from sqlalchemy import event

from bot.cli import main as cli
from bot.clock import Clock
from storage import inbox
from storage.db import Database
from tests.conftest import close_stack, make_settings, open_stack, postgres_url

TIMEOUT = 30
LIFTED = 1_073_741_823  # SQLite's default max_page_count


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def watched(sandbox, tmp_path, framework):
    """The stack with a health port and quick restarts (0.2 s, doubling)."""
    port = _free_port()
    settings = make_settings(tmp_path, sandbox.base_url, framework=framework, log_file=str(tmp_path / "linkage.log"),
                             health_port=port, restart_backoff_seconds=0.2)
    stack = await open_stack(sandbox, settings)
    stack.health_url = f"http://127.0.0.1:{port}/healthz"
    yield stack
    await close_stack(stack)


async def _healthz(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            return response.status, await response.json()


async def _logged(path, text: str, timeout: float = TIMEOUT) -> str:
    """The log once it contains ``text``."""
    for _ in range(int(timeout * 10)):
        log = path.read_text(encoding="utf-8")
        if text in log:
            return log
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} never logged")


async def _cap_pages(app, limit: int) -> None:
    """``PRAGMA max_page_count`` on the bot's writer (one connection, kept open, takes every
    write): at 1 (SQLite keeps it at the file's current size) the next write that needs a page
    fails "database or disk is full", as on a full disk."""
    async with app.db.transaction() as conn:
        await conn.exec_driver_sql(f"PRAGMA max_page_count={limit}")


async def test_a_full_disk_makes_the_poller_fail_it_is_restarted_and_nothing_is_lost(watched, tmp_path):
    stack = watched
    member = await stack.world.join("C001", "王晓明")
    await stack.settle()
    await _cap_pages(stack.app, 1)
    # 3,500 CJK characters: as JSON (\\uXXXX) 21 kB, pages the full database does not have
    await stack.sb.send(member, "/help " + "测" * 3500)
    log = await _logged(tmp_path / "linkage.log", "starting poller again")
    assert "poller failed" in log and "Traceback" in log and "database or disk is full" in log
    assert "6d4b" not in log and "测" not in log  # the traceback never quotes what the member wrote
    status, health = await _healthz(stack.health_url)
    assert health["loops"]["poller"]["last_error"] == "OperationalError"

    await _cap_pages(stack.app, LIFTED)  # space again: the restarted poller stores what Telegram kept
    await stack.sb.wait_for(member, "/submit", TIMEOUT)
    assert stack.app.supervisor.loops["poller"].restarts >= 1
    assert await stack.count("inbox", status="new") == 0


def _refuse_updates(database_path, table: str) -> None:
    """From a connection of the test's own: the database refuses every change to a row of
    ``table`` with SQLite's disk-full message."""
    with sqlite3.connect(database_path) as conn:
        conn.execute(f"CREATE TRIGGER refuse_{table} BEFORE UPDATE ON {table} "
                     "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")


def _allow_updates(database_path, table: str) -> None:
    with sqlite3.connect(database_path) as conn:
        conn.execute(f"DROP TRIGGER refuse_{table}")


async def test_a_dispatcher_that_cannot_count_a_failure_is_restarted_and_healthz_says_stalled(watched, tmp_path):
    stack = watched
    member = await stack.world.join("C001", "王晓明")
    await stack.settle()
    status, health = await _healthz(stack.health_url)
    assert status == 200 and health["ok"], health
    assert set(health["loops"]) == {"poller", "dispatcher", "sender", "scheduler"}

    _refuse_updates(stack.app.settings.database, "inbox")  # neither claiming an update nor counting its failure
    await stack.sb.send(member, "/help")
    log = await _logged(tmp_path / "linkage.log", "starting dispatcher again")
    assert "dispatcher failed" in log and "Traceback" in log and "mark_attempt_failed" in log
    stack.app.clock.advance(timedelta(minutes=2))  # the update has now waited two minutes
    status, health = await _healthz(stack.health_url)
    assert status == 503 and not health["ok"]
    assert "waited" in health["loops"]["dispatcher"]["stalled"]
    assert health["queues"]["inbox"]["new"] == 1

    result = await _linkage_status(stack)
    assert result.exit_code == 1, result.output
    dispatcher = next(line for line in result.output.splitlines() if line.startswith("dispatcher:"))
    assert "STALLED" in dispatcher and "last error IntegrityError" in dispatcher
    assert "inbox: done" in result.output and "new 1" in result.output

    _allow_updates(stack.app.settings.database, "inbox")
    await stack.sb.wait_for(member, "/submit", TIMEOUT)  # handled once the database takes changes again
    assert stack.app.supervisor.loops["dispatcher"].restarts >= 1
    status, health = await _healthz(stack.health_url)
    assert status == 200 and health["ok"], health
    result = await _linkage_status(stack)
    assert result.exit_code == 0, result.output
    assert "dispatcher: running" in result.output and "STALLED" not in result.output


async def _linkage_status(stack):
    """`linkage status` on the bot's database, asking its /healthz (in a thread: it runs its own event loop)."""
    args = ["--database", stack.app.settings.database, "status", "--url", stack.health_url]
    return await asyncio.to_thread(CliRunner().invoke, cli, args)


async def test_a_sender_that_cannot_mark_its_sends_is_restarted(watched, tmp_path):
    stack = watched
    member = await stack.world.join("C001", "王晓明")
    await stack.settle()
    _refuse_updates(stack.app.settings.database, "outbox")  # the reply is queued, but cannot be marked 'sending'
    await stack.sb.send(member, "/help")
    log = await _logged(tmp_path / "linkage.log", "starting sender again")
    assert "sender failed" in log and "Traceback" in log and "mark_sending" in log
    _allow_updates(stack.app.settings.database, "outbox")
    await stack.sb.wait_for(member, "/submit", TIMEOUT)
    assert stack.app.supervisor.loops["sender"].restarts >= 1


async def test_malformed_updates_are_parked_at_once_and_block_nothing(stack):
    member = await stack.world.join("C001", "王晓明")
    await stack.settle()
    sender = {"id": member.id, "is_bot": False, "first_name": "王晓明"}
    malformed = [  # both sort before every update the Bot API server hands out
        {"update_id": 1, "message": {"message_id": 1, "date": 1, "photo": [], "from": sender,
                                     "chat": {"id": member.id, "type": "private"}}},
        {"update_id": 2, "message": {"message_id": 2, "date": 1, "text": "/help", "from": sender}},  # no chat
    ]
    assert await inbox.store(stack.app.db, malformed, stack.app.clock.now()) == 2
    await stack.sb.send(member, "/help")
    await stack.sb.wait_for(member, "/submit", TIMEOUT)
    for update_id in (1, 2):
        row = await stack.row("inbox", update_id=update_id)
        assert (row.status, row.attempts) == ("failed", 1)  # parsing again would fail again
        assert row.error.startswith("MalformedUpdate")
    assert "is malformed" in open(stack.app.settings.log_file, encoding="utf-8").read()


async def _html_502_for_get_chat_member(upstream: str, broken: asyncio.Event) -> tuple[web.AppRunner, str]:
    """A reverse proxy in front of the Bot API server that, once ``broken`` is set, answers
    getChatMember as a failing nginx would: 502 with an HTML page. Everything else passes through."""
    http = aiohttp.ClientSession(auto_decompress=False)

    async def forward(request: web.Request) -> web.StreamResponse:
        if broken.is_set() and request.path.lower().endswith("/getchatmember"):
            return web.Response(status=502, content_type="text/html",
                                text="<html><body><center><h1>502 Bad Gateway</h1></center></body></html>")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with http.request(request.method, upstream + request.path_qs, headers=headers,
                                data=await request.read()) as answer:
            return web.Response(status=answer.status, body=await answer.read(),
                                headers={"Content-Type": answer.headers.get("Content-Type", "application/json")})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    app.on_cleanup.append(lambda _app: http.close())
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def test_a_broken_answer_to_get_chat_member_during_bind_does_not_end_the_dispatcher(sandbox, tmp_path,
                                                                                          framework):
    broken = asyncio.Event()
    proxy, base_url = await _html_502_for_get_chat_member(sandbox.base_url, broken)
    stack = await open_stack(sandbox, make_settings(tmp_path, base_url, framework=framework,
                                                    log_file=str(tmp_path / "linkage.log")))
    try:
        pilot = await stack.pilot()  # binds its groups: getChatMember still answers
        broken.set()
        group = await stack.sb.group("陌生群", members=[pilot.city.id], admins=[pilot.office.id])
        await stack.sb.send(pilot.office, "/bind SOMEKEY", chat=group)
        await stack.sb.send(pilot.city, "/help")  # after the /bind: the dispatcher must get to it
        await stack.sb.wait_for(pilot.city, "/submit", TIMEOUT)
        await stack.settle()  # the /bind: answered (the status unknown), or retried and then parked
        assert await stack.count("inbox", status="new") == 0
    finally:
        await close_stack(stack)
        await proxy.cleanup()


def _setting_during_inbox_insert(db: Database, query: str) -> list:
    """What ``query`` answers on the connection at the moment inbox.store inserts."""
    seen: list = []

    def during_insert(conn, _cursor, statement, _params, _context, _many):
        if statement.startswith("INSERT") and " inbox " in statement:
            seen.append(conn.exec_driver_sql(query).scalar())
    event.listen(db.engine.sync_engine, "after_cursor_execute", during_insert)
    return seen


UPDATE = {"update_id": 7, "message": {"message_id": 1, "date": 1, "text": "hi", "chat": {"id": 1, "type": "private"}}}


async def test_the_inbox_commit_is_durable_and_other_commits_are_not_slowed(tmp_path):
    """SQLite: the commit Telegram's acknowledgement follows runs synchronous=FULL (2), so it is
    on disk; other transactions keep NORMAL (1)."""
    db = Database(str(tmp_path / "linkage.db"))
    await db.ensure_schema()
    seen = _setting_during_inbox_insert(db, "PRAGMA synchronous")
    assert await inbox.store(db, [UPDATE], Clock().now()) == 1
    assert seen == [2]
    async with db.transaction() as conn:
        assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 1
    await db.close()


async def test_the_inbox_commit_is_durable_on_postgresql_even_where_the_server_says_otherwise():
    url = postgres_url()
    if not url:
        pytest.skip("LINKAGE_TEST_POSTGRES_URL is not set: PostgreSQL variant skipped")
    name = f"linkage_durable_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url)
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.execute(f"ALTER DATABASE {name} SET synchronous_commit = off")
    db = Database(f"{url.rpartition('/')[0]}/{name}")
    try:
        await db.ensure_schema()
        seen = _setting_during_inbox_insert(db, "SHOW synchronous_commit")
        assert await inbox.store(db, [UPDATE], Clock().now()) == 1
        assert seen == ["on"]
        async with db.transaction() as conn:
            assert (await conn.exec_driver_sql("SHOW synchronous_commit")).scalar() == "off"  # the server's choice
    finally:
        await db.close()
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
