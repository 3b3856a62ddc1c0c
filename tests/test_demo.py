"""`linkage demo --keep`, the README's first command, run as a newcomer runs it: a real process
that plays the scenario, then stays up so a person can act as a member through the printed
control API calls."""

from __future__ import annotations

import asyncio
import os
import re
import signal

import aiohttp
import pytest

from bot.bench.process import BotProcess
from handlers.core.i18n import translator

zh = translator("zh")
SCENARIO_TIMEOUT = 600  # the scripted scenario and the compressed week: about a minute at --pace 50


async def _bot_says(http: aiohttp.ClientSession, base: str, chat_id: int, needle: str) -> str:
    for _ in range(100):
        async with http.get(f"{base}/control/messages", params={"chat_id": chat_id}) as response:
            texts = [m["text"] or "" for m in (await response.json())["result"] if m["from_bot"]]
        if found := [text for text in texts if needle in text]:
            return found[-1]
        await asyncio.sleep(0.3)
    raise AssertionError(f"the bot never said {needle!r} in chat {chat_id}; it said {texts}")


async def _control(http: aiohttp.ClientSession, base: str, path: str, body: dict) -> dict:
    async with http.post(f"{base}/control/{path}", json=body) as response:
        assert response.status == 200, await response.text()
        return (await response.json())["result"]


@pytest.mark.long
async def test_demo_plays_the_scenario_then_a_person_can_act_as_a_member(tmp_path):
    demo = BotProcess({}, tmp_path, args=("-m", "bot.cli", "demo", "--keep", "--dir", str(tmp_path / "demo"),
                                          "--pace", "50"),  # the same scenario, Telegram's allowances x50
                      label="demo")
    try:
        await demo.start(lambda: "Ctrl-C stops." in demo.output(), SCENARIO_TIMEOUT)
        output = demo.output()
        assert "== 1." in output and re.search(r"SQ-\d{4}-\d{5}", output)
        database = re.search(r"Database: (\S+)", output).group(1)
        assert os.path.exists(database)
        base = re.search(r"curl -s -X POST (\S+)/control/users", output).group(1)
        invite = re.search(r"Invite a sample member: (.*) invite (\w+)", output)

        async with aiohttp.ClientSession() as http:
            guest = await _control(http, base, "users", {"first_name": "Guest"})
            await _control(http, base, "send", {"user_id": guest["id"], "text": "/start"})
            assert "022-0000-0000" in await _bot_says(http, base, guest["id"], "022-0000-0000")  # not on the list

            cli = BotProcess({}, tmp_path, args=("-m", "bot.cli", "--database", database, "invite", invite.group(2)),
                             label="invite")
            await cli.start()
            assert await cli.wait(60) == 0
            link = re.search(r"\S+\?start=\S+", cli.output()).group(0)
            member = await _control(http, base, "users", {"first_name": "周雅琴"})
            await _control(http, base, "send", {"user_id": member["id"], "text": "/start " + link.split("start=")[1]})
            await _bot_says(http, base, member["id"], "周雅琴")

            # the office's web console: the printed one-time link signs the office admin in
            console = re.search(r"The office's web console: (\S+)", output).group(1)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # 127.0.0.1
            async with browser.get(console) as page:
                assert page.status == 200 and "何欣然" in await page.text()
            async with browser.post(console) as dashboard:  # → / → /dashboard, signed in
                assert dashboard.status == 200 and dashboard.url.path == "/dashboard"
                assert zh.plain("Oldest unclaimed reports") in await dashboard.text()
    finally:
        code = await demo.stop(signal.SIGINT, 60)  # as Ctrl-C
    assert code == 0, demo.output_tail()
