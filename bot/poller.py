"""Long polling that never loses an update: a batch is committed (durably) to the inbox before
the next getUpdates call carries the offset that confirms it to Telegram. Telegram's errors are
retried here; anything else (a full disk) ends the call, and its supervisor starts it again."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from bot.clock import Clock
from bot.supervise import sleep_unless_stopped
from bot.transport import ApiError, BotApi
from storage import inbox
from storage.db import Database

log = logging.getLogger("linkage.poller")


async def poll(db: Database, api: BotApi, clock: Clock, stop: asyncio.Event, on_stored: asyncio.Event,
               timeout: int = 30, on_progress: Callable[[], None] = lambda: None) -> None:
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        fetch = asyncio.ensure_future(api.get_updates(offset, timeout))
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not fetch.done():
            fetch.cancel()  # unconfirmed updates stay with Telegram for the next start
            break
        try:
            updates = fetch.result()
        except ApiError as exc:
            failures += 1
            delay = min(30.0, 0.5 * 2 ** min(failures, 6))
            if exc.kind == "conflict":
                log.error("another instance is polling with this token (409); retrying in %.0f s", delay)
            elif exc.kind == "retry_after":
                delay = max(delay, exc.retry_after or 1)
            else:
                log.warning("getUpdates failed (%s); retrying in %.1f s", exc.kind, delay)
            await sleep_unless_stopped(stop, delay)
            continue
        failures = 0
        if updates:
            new = await inbox.store(db, updates, clock.now())
            offset = max(u["update_id"] for u in updates) + 1
            if new:
                on_stored.set()
        on_progress()
