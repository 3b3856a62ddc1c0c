"""The office's web console (bot/console/) in-process with aiohttp's test client, on the fast
stack's real database: sign-in through a one-time link (/console in chat and the command line),
used and expired links, tampered cookies, CSRF, the idle timeout, sign-out, the scope matrix
(city, district, committee × screens) and the audited reveal of an anonymous author."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer

from bot.console.app import make_app
from handlers.console.signin import login_link_for
from handlers.core.context import Ctx
from handlers.features import REGISTRY

STACK_TIER = "fast"


async def office(stack, work):
    async with stack.app.db.transaction() as conn:
        return await work(Ctx.offline(conn, stack.app.clock.now(), stack.app.scheduler.config, REGISTRY))


async def link_for(stack, roster_id: str) -> str:
    url = await office(stack, lambda ctx: login_link_for(ctx.conn, roster_id, ctx.now, ctx.config))
    return "/" + url.split("/", 3)[3]  # the path: the test client has its own host


@asynccontextmanager
async def console(stack):
    client = TestClient(TestServer(make_app(stack.app.db, stack.app.scheduler.config, stack.app.clock)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def sign_in(client, stack, roster_id: str):
    path = await link_for(stack, roster_id)
    page = await client.get(path)
    assert page.status == 200, await page.text()
    response = await client.post(path, allow_redirects=False)
    assert response.status == 303
    return response


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def test_sign_in_then_out(stack):
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        home = await client.get("/")
        assert home.status == 200 and "何欣然" in await home.text()
        response = await client.post("/logout", data={"csrf": csrf_of(await home.text())}, allow_redirects=False)
        assert response.status == 303
        again = await client.get("/dashboard")
        assert again.status == 403
