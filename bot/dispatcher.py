"""Drains the inbox in update_id order: each update is handled in one transaction that also
writes its outbox rows and marks the update done, so it takes effect exactly once.

Whatever handling an update raises (parsing it included) is counted against that update, so
one bad update never stops the queue: it is retried, then parked; one that cannot be parsed is
parked at once. Only a failure to count it (the database itself failing) ends ``run``; its
supervisor logs that and starts it again."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from bot.clock import Clock
from bot.transport import ApiError, BotApi
from handlers import router
from handlers.features import REGISTRY
from handlers.core.context import Ctx, HandlerConfig
from handlers.core.events import Event, MalformedUpdate, parse_update
from handlers.core.i18n import translator
from storage import inbox, leader, outbox, people
from storage.db import Database

log = logging.getLogger("linkage.dispatcher")

BATCH = 50  # updates read from the inbox at a time


class Dispatcher:
    def __init__(self, db: Database, api: BotApi, clock: Clock, config: HandlerConfig,
                 on_sent: asyncio.Event, on_timers=None, on_handled=None):
        self.db, self.api, self.clock, self.config = db, api, clock, config
        self.wake = asyncio.Event()
        self.on_sent = on_sent  # wakes the sender when new outbox rows exist
        self.on_timers = on_timers  # tells the scheduler about new timers
        self.on_handled = on_handled  # told each handled update's seconds (the metrics' histogram)
        self.handled = 0
        self.failed = 0  # failed attempts (each retried, then parked)
        self.passed = 0  # updates left for a turn later: another worker was handling their sender

    async def run(self, stop: asyncio.Event, on_progress: Callable[[], None] = lambda: None) -> None:
        while not stop.is_set():
            self.wake.clear()
            handled_before, passed_before, failed_before = self.handled, self.passed, self.failed
            batch = await self.drain(stop)
            on_progress()
            passed = self.passed > passed_before
            passed_only = passed and self.handled == handled_before
            # a batch shorter than a full one left nothing behind: what arrived since woke us (the
            # inbox is not read again for nothing); a failed attempt comes round again at once
            done = batch < BATCH and not passed and self.failed == failed_before
            if done or passed_only:
                # all passed over (another worker has their senders): look again soon; else when woken
                timeout = 0.05 if passed_only else 1.0
                waiter = asyncio.ensure_future(self.wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()

    async def drain(self, stop: asyncio.Event | None = None) -> int:
        """Handle what is in the inbox now; returns how many updates were handled."""
        async with self.db.read() as conn:
            batch = await inbox.next_batch(conn, BATCH)
        for row in batch:
            if stop is not None and stop.is_set():
                break  # what is left stays in the inbox for the next start
            await self.handle(row.update_id, row.payload)
            # a turn for the sender and the poller between updates: SQLite's statements run on the
            # loop (storage/sqlite_driver.py), so a batch would otherwise hold it to its end
            await asyncio.sleep(0)
        return len(batch)

    async def handle(self, update_id: int, payload: dict) -> None:
        started = time.perf_counter()
        event: Event | None = None
        try:
            event = parse_update(payload)
            sender_status = await self._sender_status(event) if router.needs_sender_status(event, REGISTRY) else None
            async with self.db.transaction() as conn:
                now = self.clock.now()
                if not await inbox.take_turn(conn, update_id):
                    self.passed += 1  # another worker is on this sender's updates: a turn later
                    return
                if not await inbox.claim(conn, update_id, now):
                    return  # handled meanwhile by another drain (or another process)
                member = await people.by_telegram(conn, event.user_id) if event.user_id else None
                ctx = Ctx(event=event, conn=conn, now=now, config=self.config, features=REGISTRY, api=self.api,
                          member=member)
                await router.dispatch(ctx, sender_status)
                if ctx.sent:
                    await leader.notify_sender(conn)  # the sender may lead in another process
        except MalformedUpdate as exc:  # the same every time: retrying cannot help
            log.warning("update %s is malformed (%s): parked", update_id, exc)
            await self._count_failure(update_id, None, repr(exc), park=True)
            return
        except Exception as exc:  # a bug must not lose the update: it is retried, then parked
            log.exception("update %s failed", update_id)
            await self._count_failure(update_id, event, repr(exc))
            return
        self.handled += 1
        if self.on_handled is not None:
            self.on_handled(time.perf_counter() - started)
        if ctx.sent:
            self.on_sent.set()
        if ctx.timers_added and self.on_timers is not None:
            await self.on_timers()
        log.info("update handled", extra={"update_id": update_id, "kind": event.kind,
                                          "outbox_rows": len(ctx.sent),
                                          "ms": round((time.perf_counter() - started) * 1000, 1)})

    async def _count_failure(self, update_id: int, event: Event | None, error: str, *, park: bool = False) -> None:
        """Count a failed attempt (parking the update after the last one); a member whose update
        is parked is told so in their private chat."""
        self.failed += 1
        async with self.db.transaction() as conn:
            now = self.clock.now()
            parked = await inbox.mark_attempt_failed(conn, update_id, error, now, park=park)
            if parked and event is not None and event.is_private and event.chat_id:
                t = translator(event.language_code)
                await outbox.enqueue(conn, method="sendMessage", chat_id=event.chat_id, now=now,
                                     params={"chat_id": event.chat_id, "parse_mode": "HTML", "text": t(
                                         "Sorry, something went wrong on our side. What you sent is kept "
                                         "and the office has been told. Please try again later.")})
        self.on_sent.set()

    async def _sender_status(self, event) -> str | None:
        try:
            member = await self.api.call("getChatMember", {"chat_id": event.chat_id, "user_id": event.user_id})
            return member.get("status")
        except ApiError as exc:
            log.warning("getChatMember failed: %s", exc.kind)
            return None
