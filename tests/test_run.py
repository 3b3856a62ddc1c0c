"""`linkage run` as a real process and in webhook mode."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest

from bot import logs
from bot.app import LinkageApp
from bot.bench.process import LINKAGE_RUN, BotProcess
from bot.clock import Clock
from bot.demo.scenario import World
from bot.sandbox import SandboxClient
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
    await app.db.ensure_schema()
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
async def test_run_webhook_refuses_a_secret_telegram_would_refuse_or_anyone_could_guess(tmp_path, secret):
    bot = BotProcess({"LINKAGE_BOT_TOKEN": TOKEN, "LINKAGE_DATABASE": str(tmp_path / "linkage.db"),
                      "LINKAGE_WEBHOOK_URL": "https://example.org", "LINKAGE_WEBHOOK_SECRET": secret},
                     tmp_path, args=(*LINKAGE_RUN, "--webhook"))
    await bot.start()
    assert await bot.wait(60) != 0
    output = bot.output()
    assert "LINKAGE_WEBHOOK_SECRET: " in output and "32 to 256 characters" in output
    assert "Traceback" not in output
    if secret:
        assert secret not in output  # the refusal never repeats the secret


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
    bot: BotProcess


@asynccontextmanager
async def bot_runs(sandbox, tmp_path, framework, **env):
    database = tmp_path / "linkage.db"
    db = Database(str(database))
    await db.ensure_schema()
    await load_seeds(db, Clock().now())
    runs = BotRuns(db, SandboxClient(sandbox.base_url, TOKEN), BotProcess({
        "LINKAGE_FRAMEWORK": framework, "LINKAGE_BOT_TOKEN": TOKEN, "LINKAGE_API_BASE": sandbox.base_url,
        "LINKAGE_DATABASE": str(database), "LINKAGE_POLL_TIMEOUT": "1", "LINKAGE_LOG_FILE": str(tmp_path / "run.log"),
        **env}, tmp_path))
    try:
        yield runs
    finally:
        await runs.bot.kill()
        await runs.sb.close()
        await db.close()


async def test_sigterm_stops_cleanly_and_nothing_sent_meanwhile_is_lost(sandbox, tmp_path, framework):
    async with bot_runs(sandbox, tmp_path, framework) as runs:
        bot = runs.bot
        await bot.start()
        member = await World(runs.sb, runs.db, Clock().now).join("C001", "王晓明")
        bot.send_signal(signal.SIGTERM)
        await runs.sb.send(member, "/help")  # arrives while the bot is stopping
        assert await bot.wait(20) == 0
        assert "bot stopped" in bot.log_file.read_text(encoding="utf-8")

        await bot.start()  # the next start answers what came meanwhile
        await runs.sb.wait_for(member, "/submit", TIMEOUT)


async def test_a_loop_that_keeps_failing_makes_linkage_run_exit_non_zero_and_nothing_is_lost(sandbox, tmp_path,
                                                                                             framework):
    async with bot_runs(sandbox, tmp_path, framework, LINKAGE_RESTART_BACKOFF_SECONDS="0.1",
                        LINKAGE_RESTART_MAX_FAILURES="3") as runs:
        bot = runs.bot
        await bot.start()
        member = await World(runs.sb, runs.db, Clock().now).join("C001", "王晓明")
        database = bot.env["LINKAGE_DATABASE"]
        with sqlite3.connect(database) as conn:  # from now on no update can be stored: as on a full disk
            conn.execute("CREATE TRIGGER full_inbox BEFORE INSERT ON inbox "
                         "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        await runs.sb.send(member, "/help")
        assert await bot.wait(TIMEOUT) == 1
        assert "the poller loop kept failing" in bot.output()
        log = bot.log_file.read_text(encoding="utf-8")
        assert log.count("poller failed (") == 2 and "poller failed 3 times" in log and "giving up" in log
        assert "Traceback" in log and "database or disk is full" in log

        with sqlite3.connect(database) as conn:  # space again: the next start gets the update from Telegram
            conn.execute("DROP TRIGGER full_inbox")
        await bot.start()
        await runs.sb.wait_for(member, "/submit", TIMEOUT)
        bot.send_signal(signal.SIGTERM)
        assert await bot.wait(20) == 0
