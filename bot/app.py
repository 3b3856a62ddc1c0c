"""The running bot: adapter + inbox (poller or webhook) + dispatcher + sender, one lifecycle.

Start: schema, getMe, command menus, re-send what a crash interrupted, then the loops.
Stop (SIGTERM): stop taking updates, finish the update in hand and the sends in flight;
whatever is left waits safely in the inbox and outbox for the next start.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot import poller, webhook
from bot.adapters import make_api
from bot.clock import Clock
from bot.dispatcher import Dispatcher
from bot.scheduler import Scheduler
from bot.sender import Sender
from bot.settings import Settings
from bot.transport import ALLOWED_UPDATES, ApiError, BotApi
from handlers.i18n import LANGUAGES, N_, translator
from storage.db import Database

log = logging.getLogger("linkage.app")

PRIVATE_COMMANDS = [("submit", N_("Write a social-opinion report")), ("my", N_("My reports and their progress")),
                    ("sessions", N_("Upcoming study sessions")), ("checkin", N_("Check in at a session")),
                    ("settings", N_("How often news reaches you")), ("mydata", N_("Download my data")),
                    ("cancel", N_("Stop what you are doing")),
                    ("language", "中文 / English"), ("help", N_("Help"))]
GROUP_COMMANDS = [("bind", N_("Bind this group with a key from the city office")), ("help", N_("Help"))]


class LinkageApp:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, api: BotApi | None = None,
                 db: Database | None = None):
        self.settings = settings
        self.clock = clock or Clock()
        if api is None:
            if settings.bot_token is None:
                raise SystemExit("LINKAGE_BOT_TOKEN is not set (see README: Running it for real)")
            api = make_api(settings.framework, settings.bot_token.get_secret_value(), settings.api_base)
        self.api = api
        settings.database_path_ready()
        self.db = db or Database(settings.database)
        self.stop_event = asyncio.Event()
        self.sender = Sender(self.db, self.api, self.clock, per_second=settings.rate_global_per_second,
                             per_chat_per_second=settings.rate_per_chat_per_second,
                             per_group_per_minute=settings.rate_per_group_per_minute,
                             concurrency=settings.send_concurrency)
        self.dispatcher: Dispatcher | None = None
        self.scheduler: Scheduler | None = None
        self.me: dict = {}
        self._tasks: list[asyncio.Task] = []
        self._web_runner: web.AppRunner | None = None

    async def start(self, *, use_webhook: bool = False) -> None:
        await self.db.create_schema()
        self.me = await self.api.start()
        config = self.settings.handler_config(self.me.get("username"))
        self.scheduler = Scheduler(self.db, self.clock, config, on_sent=self.sender.wake,
                                   tick_seconds=self.settings.scheduler_tick_seconds)
        self.dispatcher = Dispatcher(self.db, self.api, self.clock, config, on_sent=self.sender.wake,
                                     on_timers=self.scheduler.refresh)
        await self.register_commands()
        await self.sender.recover()
        if use_webhook:
            await self._start_webhook()
        else:
            await self.api.call("deleteWebhook", {"drop_pending_updates": False})
            self._tasks.append(asyncio.create_task(poller.poll(
                self.db, self.api, self.clock, self.stop_event, self.dispatcher.wake,
                timeout=self.settings.poll_timeout), name="poller"))
        await self.scheduler.start()
        self._tasks.append(asyncio.create_task(self.dispatcher.run(self.stop_event), name="dispatcher"))
        self._tasks.append(asyncio.create_task(self.sender.run(self.stop_event), name="sender"))
        log.info("bot started", extra={"framework": self.api.name, "bot": self.me.get("username"),
                                       "mode": "webhook" if use_webhook else "polling"})

    async def _start_webhook(self) -> None:
        settings = self.settings
        if not settings.webhook_url or settings.webhook_secret is None:
            raise SystemExit("--webhook needs LINKAGE_WEBHOOK_URL and LINKAGE_WEBHOOK_SECRET")
        secret = settings.webhook_secret.get_secret_value()
        app = webhook.make_app(self.db, self.api, self.clock, secret, self.dispatcher.wake)
        self._web_runner = web.AppRunner(app)
        await self._web_runner.setup()
        await web.TCPSite(self._web_runner, settings.webhook_host, settings.webhook_port).start()
        await self.api.call("setWebhook", {"url": settings.webhook_url.rstrip("/") + webhook.PATH,
                                           "secret_token": secret, "allowed_updates": ALLOWED_UPDATES})

    async def register_commands(self) -> None:
        """Command menus for private chats and groups, in Chinese (default) and English."""
        for lang in LANGUAGES:
            t = translator(lang)
            for scope, commands in (("all_private_chats", PRIVATE_COMMANDS), ("all_group_chats", GROUP_COMMANDS)):
                params = {"scope": {"type": scope},
                          "commands": [{"command": c, "description": t.plain(d)} for c, d in commands]}
                if lang != "zh":
                    params["language_code"] = lang
                try:
                    await self.api.call("setMyCommands", params)
                except ApiError as exc:  # menus are a convenience: never a reason not to start
                    log.warning("setMyCommands failed: %s", exc.kind)

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        self.stop_event.set()
        if self._web_runner is not None:
            await self._web_runner.cleanup()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.api.close()
        await self.db.close()
        log.info("bot stopped")
