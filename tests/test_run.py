"""`linkage run` as a real process and in webhook mode."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot import logs
from bot.app import LinkageApp
from bot.clock import Clock
from bot.sandbox import SandboxClient
from bot.demo.scenario import World
from seeds.loader import load_seeds
from storage.db import Database
from tests.conftest import TOKEN, make_settings

TIMEOUT = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SECRET = "s3cret-token_0123456789abcdefghijKLMN"  # Telegram's alphabet, 37 characters


async def test_webhook_answers_only_callers_with_the_secret(sandbox, tmp_path, framework):
    port = _free_port()
    settings = make_settings(tmp_path, sandbox.base_url, framework=framework, webhook_url=f"http://127.0.0.1:{port}",
                             webhook_secret=SECRET, webhook_host="127.0.0.1", webhook_port=port,
                             log_file=str(tmp_path / "linkage.log"))
    logs.setup("INFO", settings.log_file)
    app = LinkageApp(settings)
    await app.db.create_schema()
    await load_seeds(app.db, app.clock.now())
    await app.start(use_webhook=True)
    sb = SandboxClient(sandbox.base_url, TOKEN)
    try:
        info = await sb.bot_info()
        assert info["webhook"]["url"].endswith("/telegram/webhook")
        world = World(sb, app.db, app.clock.now, bot_username=app.me["username"])
        await world.join("C001", "王晓明")  # delivered by webhook, answered by the bot

        inbox_before = await _inbox_count(app.db)
        update = {"update_id": 999_999, "message": {"message_id": 1, "date": 1, "text": "/start",
                                                    "chat": {"id": 42, "type": "private"},
                                                    "from": {"id": 42, "is_bot": False, "first_name": "X"}}}
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": ""}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                            {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                assert r.status == 200
        # a header that is not ASCII: raw bytes on the wire, as any client may send them
        assert await _raw_post_status(port, update, "秘密-token".encode()) == 403
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                assert r.status == 200 and "webhook" in (await r.json())["loops"]
        assert await _inbox_count(app.db) == inbox_before + 1

        with sqlite3.connect(settings.database) as conn:  # the inbox refuses rows, as on a full disk
            conn.execute("CREATE TRIGGER full_inbox BEFORE INSERT ON inbox "
                         "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={**update, "update_id": 1_000_000},
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                assert r.status == 500  # Telegram sends it again later
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                loop = (await r.json())["loops"]["webhook"]
        assert (loop["recent_failures"], loop["last_error"]) == (1, "IntegrityError")
        assert "webhook failed" in (tmp_path / "linkage.log").read_text(encoding="utf-8")
    finally:
        await sb.close()
        await app.stop()


async def _raw_post_status(port: int, update: dict, secret: bytes) -> int:
    body = json.dumps(update).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /telegram/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"X-Telegram-Bot-Api-Secret-Token: " + secret + b"\r\nConnection: close\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize("secret", ["", "short-secret", "秘密" * 20, "a b" * 20, "x" * 257])
def test_run_webhook_refuses_a_secret_telegram_would_refuse_or_anyone_could_guess(tmp_path, secret):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env.update(LINKAGE_BOT_TOKEN=TOKEN, LINKAGE_DATABASE=str(tmp_path / "linkage.db"),
               LINKAGE_WEBHOOK_URL="https://example.org", LINKAGE_WEBHOOK_SECRET=secret)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--webhook"], env=env, capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode != 0
    assert "LINKAGE_WEBHOOK_SECRET: " in result.stderr and "32 to 256 characters" in result.stderr
    assert "Traceback" not in result.stderr
    if secret:
        assert secret not in result.stderr  # the refusal never repeats the secret


async def _inbox_count(db) -> int:
    from sqlalchemy import func, select

    from storage.schema import inbox
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()


@dataclass
class BotRuns:
    """`linkage run` as a child process on a seeded SQLite file, started as often as a test needs;
    whatever is still running at the end is killed."""

    db: Database
    sb: SandboxClient
    env: dict
    log_file: Path
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> asyncio.subprocess.Process:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        return self.process


@asynccontextmanager
async def bot_runs(sandbox, tmp_path, framework, **env):
    database = tmp_path / "linkage.db"
    db = Database(str(database))
    await db.create_schema()
    await load_seeds(db, Clock().now())
    log_file = tmp_path / "run.log"
    runs = BotRuns(db, SandboxClient(sandbox.base_url, TOKEN), {
        **os.environ, "LINKAGE_FRAMEWORK": framework, "LINKAGE_BOT_TOKEN": TOKEN, "LINKAGE_API_BASE": sandbox.base_url,
        "LINKAGE_DATABASE": str(database), "LINKAGE_POLL_TIMEOUT": "1", "LINKAGE_LOG_FILE": str(log_file), **env},
        log_file)
    try:
        yield runs
    finally:
        if runs.process is not None and runs.process.returncode is None:
            runs.process.kill()
            await runs.process.wait()
        await runs.sb.close()
        await db.close()


async def test_sigterm_stops_cleanly_and_nothing_sent_meanwhile_is_lost(sandbox, tmp_path, framework):
    async with bot_runs(sandbox, tmp_path, framework) as runs:
        process = await runs.start()
        member = await World(runs.sb, runs.db, Clock().now).join("C001", "王晓明")
        process.send_signal(signal.SIGTERM)
        await runs.sb.send(member, "/help")  # arrives while the bot is stopping
        assert await asyncio.wait_for(process.wait(), 20) == 0
        assert "bot stopped" in runs.log_file.read_text(encoding="utf-8")

        await runs.start()  # the next start answers what came meanwhile
        await runs.sb.wait_for(member, "/submit", TIMEOUT)


async def test_a_loop_that_keeps_failing_makes_linkage_run_exit_non_zero_and_nothing_is_lost(sandbox, tmp_path,
                                                                                             framework):
    async with bot_runs(sandbox, tmp_path, framework, LINKAGE_RESTART_BACKOFF_SECONDS="0.1",
                        LINKAGE_RESTART_MAX_FAILURES="3") as runs:
        process = await runs.start()
        member = await World(runs.sb, runs.db, Clock().now).join("C001", "王晓明")
        database = runs.env["LINKAGE_DATABASE"]
        with sqlite3.connect(database) as conn:  # from now on no update can be stored: as on a full disk
            conn.execute("CREATE TRIGGER full_inbox BEFORE INSERT ON inbox "
                         "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        await runs.sb.send(member, "/help")
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 1
        assert b"the poller loop kept failing" in await process.stderr.read()
        log = runs.log_file.read_text(encoding="utf-8")
        assert log.count("poller failed (") == 2 and "poller failed 3 times" in log and "giving up" in log
        assert "Traceback" in log and "database or disk is full" in log

        with sqlite3.connect(database) as conn:  # space again: the next start gets the update from Telegram
            conn.execute("DROP TRIGGER full_inbox")
        process = await runs.start()
        await runs.sb.wait_for(member, "/submit", TIMEOUT)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
