"""The running bot: adapter + inbox (poller or webhook) + dispatcher + sender, one lifecycle.

Start: schema, getMe, command menus, re-send what a crash interrupted, then the loops, each
watched by the supervisor (bot/supervise.py), and /healthz when a health port is set.
Stop (SIGTERM, or a loop that keeps failing): stop taking updates, finish the update in hand
and the sends in flight; whatever is left waits safely in the inbox and outbox for the next start.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot import poller, webhook
from bot.adapters import make_api
from bot.clock import Clock
from bot.dispatcher import Dispatcher
from bot.leader import Leadership
from bot.metrics import LATE_SECONDS, Metrics
from bot.scheduler import Scheduler
from bot.sender import Sender
from bot.settings import Settings
from bot.supervise import DISPATCHER_STALL, SENDER_STALL, Supervisor, add_health_route
from bot.transport import ALLOWED_UPDATES, ApiError, BotApi
from handlers.core import menus
from handlers.core.context import Ctx
from handlers.core.i18n import LANGUAGES
from handlers.features import REGISTRY
from storage import people
from storage.db import Database
from storage.health import metric_counts, queue_state
from storage.leader import LeaderLock

log = logging.getLogger("linkage.app")


def slow_transaction_log(threshold: float):
    """A write transaction held the database at least ``threshold`` seconds: every other writer
    (members' updates on SQLite) waited that long. Only the time is logged."""
    def on_write(seconds: float) -> None:
        if seconds >= threshold:
            log.warning("slow write transaction", extra={"ms": round(seconds * 1000, 1)})
    return on_write


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
        self.db = db or Database(settings.database, serving=True)
        if settings.slow_transaction_ms is not None:
            self.db.on_write = slow_transaction_log(settings.slow_transaction_ms / 1000)
        self.stop_event = asyncio.Event()
        self.supervisor = Supervisor(self.stop_event, max_failures=settings.restart_max_failures,
                                     window=settings.restart_window_seconds,
                                     first_backoff=settings.restart_backoff_seconds)
        self.sender = Sender(self.db, self.api, self.clock, per_second=settings.rate_global_per_second,
                             per_chat_per_second=settings.rate_per_chat_per_second,
                             per_group_per_minute=settings.rate_per_group_per_minute,
                             concurrency=settings.send_concurrency, paid_broadcast=settings.paid_broadcast,
                             paid_per_second=settings.rate_paid_per_second)
        self.dispatcher: Dispatcher | None = None
        self.scheduler: Scheduler | None = None  # the leader's, for its term
        self.config = None
        self.leadership = Leadership(LeaderLock(self.db.url, on_notify=self.sender.wake.set), self.stop_event,
                                     begin=self._begin_term, end=self._end_term,
                                     retry_seconds=settings.leader_retry_seconds)
        self.metrics = Metrics()
        self.me: dict = {}
        self._tasks: list[asyncio.Task] = []
        self._web_runners: list[web.AppRunner] = []

    async def start(self, *, use_webhook: bool = False) -> None:
        await self.db.ensure_schema()
        self.me = await self.api.start()
        self.config = config = self.settings.handler_config(self.me.get("username"))
        self.dispatcher = Dispatcher(self.db, self.api, self.clock, config, on_sent=self.sender.wake,
                                     on_timers=self._timers_added, on_handled=self.metrics.handling.observe)
        await self.register_commands()
        # SQLite: this process leads, and its term begins before updates are taken, as a start always
        # did; PostgreSQL: the first worker up leads, the others follow (bot/leader.py)
        await self.leadership.try_lead()
        if use_webhook:
            await self._start_webhook()
        else:
            await self.api.call("deleteWebhook", {"drop_pending_updates": False})
            self._watch("poller", lambda beat: poller.poll(self.db, self.api, self.clock, self.stop_event,
                                                           self.dispatcher.wake, timeout=self.settings.poll_timeout,
                                                           on_progress=beat))
        self._watch("dispatcher", lambda beat: self.dispatcher.run(self.stop_event, on_progress=beat))
        if not self.db.is_sqlite:
            self._watch("leader", lambda beat: self.leadership.run(on_progress=beat))
        if self.settings.health_port is not None:
            health = web.Application()
            add_health_route(health, self.health)
            await self._serve(health, self.settings.health_host, self.settings.health_port)
        if self.settings.metrics_port is not None:
            metrics = web.Application()
            self.metrics.add_route(metrics, self.metrics_now)
            await self._serve(metrics, self.settings.metrics_host, self.settings.metrics_port)
        if self.settings.console_port is not None:  # the office's web console (bot/console/)
            from bot.console.app import make_app as console_app
            await self._serve(console_app(self.db, config, self.clock), self.settings.console_host,
                              self.settings.console_port)
        log.info("bot started", extra={"framework": self.api.name, "bot": self.me.get("username"),
                                       "mode": "webhook" if use_webhook else "polling",
                                       "leader": self.leadership.leading})

    async def _begin_term(self, term: asyncio.Event) -> None:
        """This process leads: re-send what the last leader (or the last stop) left 'sending',
        rebuild the scheduler from the timers and catch up, then run the sender and the scheduler
        until the term ends."""
        await self.sender.recover()
        self.scheduler = Scheduler(self.db, self.clock, self.config, on_sent=self.sender.wake,
                                   tick_seconds=self.settings.scheduler_tick_seconds)
        self.sender.write_drafts = self.scheduler.write_drafts  # the features write the drafts it sends
        self.scheduler.on_chunk = self.sender.drafts_queued
        await self.scheduler.start()
        scheduler = self.scheduler
        # the sender's progress is read from the outbox (messages finished), not beaten
        self._watch("sender", lambda _beat: self.sender.run(term), beats=False, until=term)
        self._watch("scheduler", lambda beat: scheduler.run(term, on_progress=beat), until=term)

    async def _end_term(self) -> None:
        """The term ended (the lock lost, or the process stops): let the firing and the sends in
        hand finish, start nothing new."""
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            await scheduler.stop()
        leaders = [task for task in self._tasks if task.get_name() in ("sender", "scheduler") and not task.done()]
        await asyncio.gather(*leaders, return_exceptions=True)

    async def _timers_added(self) -> None:
        if self.scheduler is not None:  # a follower's new timers reach the leader at its next tick
            await self.scheduler.refresh()

    def _watch(self, name: str, run, *, beats: bool = True, until: asyncio.Event | None = None) -> None:
        """Run ``run(beat)`` supervised; the loop calls ``beat()`` whenever it made progress."""
        self._tasks.append(self.supervisor.spawn(name, run, beats=beats, until=until))

    async def _serve(self, app: web.Application, host: str, port: int) -> None:
        runner = web.AppRunner(app)
        await runner.setup()
        self._web_runners.append(runner)
        await web.TCPSite(runner, host, port).start()

    async def health(self) -> dict:
        """Each loop's last progress and the queues' state; ``ok`` False when one is stalled."""
        now = self.clock.now()
        try:
            async with self.db.read() as conn:
                queues = await queue_state(conn, now, dispatcher_stall=DISPATCHER_STALL, sender_stall=SENDER_STALL)
        except Exception:
            log.exception("the health check could not read the database")
            queues = None
        report = self.supervisor.report(queues, now, poll_timeout=self.settings.poll_timeout,
                                        tick_seconds=self.settings.scheduler_tick_seconds)
        return {**report, "leader": self.leadership.leading}

    async def metrics_now(self) -> dict:
        """What /metrics reports at this moment: this process's counts and the database's queues."""
        async with self.db.read() as conn:
            numbers = await metric_counts(conn, self.clock.now(), late_seconds=LATE_SECONDS)
        stats = self.sender.stats
        return {**numbers, "leader": self.leadership.leading,
                "handled": self.dispatcher.handled, "failed": self.dispatcher.failed,
                "sends": {"ok": stats.sent, "429": stats.rate_limited, "403": stats.blocked, "400": stats.failed,
                          "retried": stats.retried}}

    async def _start_webhook(self) -> None:
        settings = self.settings
        if not settings.webhook_url or settings.webhook_secret is None:
            raise SystemExit("--webhook needs LINKAGE_WEBHOOK_URL and LINKAGE_WEBHOOK_SECRET")
        secret = settings.webhook_secret.get_secret_value()
        loop = self.supervisor.loop("webhook")
        app = webhook.make_app(self.db, self.clock, secret, self.dispatcher.wake, self.supervisor, loop)
        add_health_route(app, self.health)
        await self._serve(app, settings.webhook_host, settings.webhook_port)
        loop.progress()  # listening; from now on, progress is an update stored
        await self.api.call("setWebhook", {"url": settings.webhook_url.rstrip("/") + webhook.PATH,
                                           "secret_token": secret, "allowed_updates": ALLOWED_UPDATES})

    async def register_commands(self) -> None:
        """Command menus for private chats and groups, in Chinese (default) and English, from the
        features' declarations; then each role holder's own menu, queued (handlers/core/menus.py)."""
        for lang in LANGUAGES:
            for scope, commands in (("all_private_chats", menus.private_commands(REGISTRY, lang)),
                                    ("all_group_chats", menus.group_commands(REGISTRY, lang))):
                params = {"scope": {"type": scope}, "commands": commands}
                if lang != "zh":
                    params["language_code"] = lang
                try:
                    await self.api.call("setMyCommands", params)
                except ApiError as exc:  # menus are a convenience: never a reason not to start
                    log.warning("setMyCommands failed: %s", exc.kind)
        async with self.db.transaction() as conn:
            ctx = Ctx.offline(conn, self.clock.now(), self.settings.handler_config(self.me.get("username")), REGISTRY)
            for member in await people.with_roles(conn):
                await menus.queue_own_menu(ctx, member)

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        self.stop_event.set()
        await self.leadership.close()
        for runner in self._web_runners:
            await runner.cleanup()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.api.close()
        await self.db.close()
        if self.supervisor.gave_up:
            log.critical("bot stopped: the %s loop kept failing", self.supervisor.gave_up)
        else:
            log.info("bot stopped")
