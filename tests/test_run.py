"""`linkage run` as a real process and in webhook mode."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import aiohttp

from bot.app import LinkageApp
from bot.sandbox import SandboxClient
from bot.scenario import World
from seeds.loader import load_seeds
from storage.db import Database
from tests.conftest import TOKEN, make_settings

TIMEOUT = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_answers_only_callers_with_the_secret(sandbox, tmp_path, framework):
    port = _free_port()
    settings = make_settings(tmp_path, sandbox.base_url, framework=framework, webhook_url=f"http://127.0.0.1:{port}",
                             webhook_secret="s3cret-token", webhook_host="127.0.0.1", webhook_port=port)
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
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}) as r:
                assert r.status == 200
        assert await _inbox_count(app.db) == inbox_before + 1
    finally:
        await sb.close()
        await app.stop()


async def _inbox_count(db) -> int:
    from sqlalchemy import func, select

    from storage.schema import inbox
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()


async def _start_process(env: dict) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def test_sigterm_stops_cleanly_and_nothing_sent_meanwhile_is_lost(sandbox, tmp_path, framework):
    database = tmp_path / "linkage.db"
    db = Database(str(database))
    await db.create_schema()
    from bot.clock import Clock
    await load_seeds(db, Clock().now())
    env = {**os.environ, "LINKAGE_FRAMEWORK": framework, "LINKAGE_BOT_TOKEN": TOKEN, "LINKAGE_API_BASE": sandbox.base_url,
           "LINKAGE_DATABASE": str(database), "LINKAGE_POLL_TIMEOUT": "1",
           "LINKAGE_LOG_FILE": str(tmp_path / "run.log")}
    sb = SandboxClient(sandbox.base_url, TOKEN)
    process = await _start_process(env)
    try:
        world = World(sb, db, Clock().now)
        member = await world.join("C001", "王晓明")
        process.send_signal(signal.SIGTERM)
        await sb.send(member, "/help")  # arrives while the bot is stopping
        assert await asyncio.wait_for(process.wait(), 20) == 0
        assert "bot stopped" in (tmp_path / "run.log").read_text(encoding="utf-8")

        process = await _start_process(env)  # the next start answers what came meanwhile
        await sb.wait_for(member, "/submit", TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await sb.close()
        await db.close()
