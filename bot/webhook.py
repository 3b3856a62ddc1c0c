"""The webhook route: Telegram gets its 200 only after the update is committed (durably) to the
inbox, and only from a caller that knows the secret token (compared as bytes, in constant time).
A failing commit answers 500 (Telegram sends the update again) and counts as a failure of the
supervised "webhook" loop."""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from bot.clock import Clock
from bot.supervise import LoopState, Supervisor
from bot.transport import as_update
from storage import inbox
from storage.db import Database

log = logging.getLogger("linkage.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram/webhook"


def make_app(db: Database, clock: Clock, secret: str, on_stored,
             supervisor: Supervisor, loop: LoopState) -> web.Application:
    if not secret:
        raise ValueError("the webhook needs a secret token")  # an empty one matches an empty header
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        # bytes, not str: compare_digest refuses non-ASCII text (a 500 instead of a 403)
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not secrets.compare_digest(given, expected):
            return web.Response(status=403, text="forbidden")
        try:
            update = as_update(await request.json())
        except ValueError:  # not an update (nor JSON): Telegram never sends one, so nothing to keep
            return web.Response(status=400, text="bad update")
        try:
            await inbox.store(db, [update], clock.now())
        except Exception as exc:  # a 500: Telegram sends it again later
            supervisor.failed(loop, exc)
            return web.Response(status=500, text="not stored")
        loop.progress()
        on_stored.set()
        return web.Response(text="ok")

    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post(PATH, receive)
    return app
