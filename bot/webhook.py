"""The webhook route: Telegram gets its 200 only after the update is committed to the inbox,
and only from a caller that knows the secret token."""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from bot.clock import Clock
from bot.transport import BotApi
from storage import inbox
from storage.db import Database

log = logging.getLogger("linkage.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram/webhook"


def make_app(db: Database, api: BotApi, clock: Clock, secret: str, on_stored) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        if not secrets.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(status=403, text="forbidden")
        try:
            update = api.parse_update(await request.json())
        except Exception:  # not an update: Telegram would never send it, so nothing to keep
            return web.Response(status=400, text="bad update")
        await inbox.store(db, [update], clock.now())  # an error here is a 500: Telegram re-sends
        on_stored.set()
        return web.Response(text="ok")

    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post(PATH, receive)
    return app
