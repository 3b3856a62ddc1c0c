"""The one sender: drains the outbox at Telegram's pace.

Telegram meters per bot token: about 30 messages/s overall, 1/s per chat, 20/min per group.
The sender keeps all three, keeps each chat's messages in order, pauses everything on a 429
for ``retry_after``, marks 403 recipients unreachable, fails a 400 once with its reason, and
retries network errors and 5xx with backoff. A row is marked 'sending' before the call, so a
crash leaves it 'sending' and the next start sends it again (a rare duplicate beats a loss).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.transport import ApiError, BotApi
from handlers.reports import lifecycle
from storage import outbox, people
from storage.db import Database

log = logging.getLogger("linkage.sender")

MAX_ATTEMPTS = 12
COUNTED = ("send", "copyMessage", "forwardMessage", "edit")  # method prefixes that count as messages
WINDOW_SLACK = 0.05  # seconds: requests arrive a little later than they leave
# The overall window is where a burst of 30 meets the next one: a stall of either side (a busy
# event loop, a garbage collection) that delays the first burst's arrival but not the next one's
# makes 31 in a second. Measured on a loaded 2-core machine: stalls up to ~100 ms, hence 0.2 s
# (25/s at most instead of 28.6/s; a 2,000-member digest then sees no 429 at all).
BURST_SLACK = 0.2


@dataclass
class Pacer:
    """Sliding windows, so no second (or minute) ever holds more than the limit."""

    per_second: float
    per_chat_per_second: float
    per_group_per_minute: float
    overall: deque = field(default_factory=deque)
    per_group: dict = field(default_factory=lambda: defaultdict(deque))
    last_in_chat: dict = field(default_factory=dict)

    @staticmethod
    def counts(method: str) -> bool:
        return method.startswith(COUNTED)

    def wait_for(self, chat_id: int, is_group: bool, now: float) -> float:
        """Seconds until a message to this chat may leave (0 = now)."""
        waits = [0.0]
        window = 1.0 + BURST_SLACK
        while self.overall and now - self.overall[0] >= window:
            self.overall.popleft()
        if len(self.overall) >= self.per_second:
            waits.append(self.overall[0] + window - now)
        last = self.last_in_chat.get(chat_id)
        if last is not None:
            waits.append(last + 1.0 / self.per_chat_per_second + WINDOW_SLACK - now)
        if is_group:
            group = self.per_group[chat_id]
            minute = 60.0 + WINDOW_SLACK
            while group and now - group[0] >= minute:
                group.popleft()
            if len(group) >= self.per_group_per_minute:
                waits.append(group[0] + minute - now)
        return max(waits)

    def take(self, chat_id: int, is_group: bool, now: float) -> None:
        self.overall.append(now)
        self.last_in_chat[chat_id] = now
        if is_group:
            self.per_group[chat_id].append(now)

    def restamp(self, taken: list[tuple[int, bool]], leave: float) -> None:
        """The messages just taken (the last ``len(taken)`` of the window, one per chat) leave at
        ``leave``, after the database work that followed the decision: stamp them with it, so the
        windows measure what Telegram sees. A stamp from before that work lets the next window open
        early whenever the work was slow (a lock wait) and Telegram counts 31 in a second."""
        for index in range(1, len(taken) + 1):
            self.overall[-index] = leave
        for chat_id, is_group in taken:
            self.last_in_chat[chat_id] = leave
            if is_group:
                self.per_group[chat_id][-1] = leave


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    blocked: int = 0
    failed: int = 0
    requeued_at_start: int = 0


def _refs(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            found.add(value["$ref"])
        for v in value.values():
            _refs(v, found)
    elif isinstance(value, list):
        for v in value:
            _refs(v, found)
    return found


def _resolve(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            return ids[value["$ref"]]
        return {k: _resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    return value


class Sender:
    def __init__(self, db: Database, api: BotApi, clock: Clock, *, per_second: float = 30,
                 per_chat_per_second: float = 1, per_group_per_minute: float = 20, concurrency: int = 8):
        self.db, self.api, self.clock = db, api, clock
        self.pacer = Pacer(per_second, per_chat_per_second, per_group_per_minute)
        self.concurrency = concurrency
        self.wake = asyncio.Event()
        self.stats = SenderStats()
        self._paused_until = 0.0
        self._in_flight: dict[int, asyncio.Task] = {}
        self._busy_chats: set[int] = set()
        self._delivered: list[tuple[int, int | None]] = []  # written in batches: fewer transactions
        self._recording = asyncio.Lock()

    async def recover(self) -> int:
        """At start: rows a crash left 'sending' go out again."""
        async with self.db.transaction() as conn:
            count = await outbox.requeue_interrupted(conn, self.clock.now())
        self.stats.requeued_at_start = count
        if count:
            log.warning("re-sending %d messages interrupted by the last stop", count)
        return count

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.wake.clear()
            delay = await self.step()
            if delay > 0:
                waiters = {asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait()),
                           *self._in_flight.values()}
                await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    if waiter not in self._in_flight.values():
                        waiter.cancel()
        if self._in_flight:  # finish the work in hand, start nothing new
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def drain(self, timeout: float = 60) -> bool:
        """Send until the outbox has nothing due (tests and the demo); True if it emptied."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            delay = await self.step()
            async with self.db.read() as conn:
                counts = await outbox.counts(conn)
            if not counts.get("pending") and not counts.get("sending") and not self._in_flight:
                return True
            pause = min(max(delay, 0.01), 0.2)
            if self._in_flight:  # a send that finishes may let the next one go: look again then
                await asyncio.wait(list(self._in_flight.values()), timeout=pause, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(pause)
        return False

    async def step(self) -> float:
        """Start every send that may go now; returns how long to wait before looking again."""
        now = time.monotonic()
        if now < self._paused_until:
            return self._paused_until - now
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return 1.0
        async with self.db.read() as conn:
            rows = await outbox.due(conn, self.clock.now(), limit=max(200, free * 20))  # one per chat
            refs = _refs([r.params for r in rows], set())
            ref_rows = await outbox.message_ids_for(conn, refs) if refs else {}
        next_look = 1.0
        starting: list[tuple] = []
        for row in rows:
            if free <= 0 or row.id in self._in_flight:
                continue
            counted = row.chat_id is not None and self.pacer.counts(row.method)
            if row.chat_id is not None:
                if row.chat_id in self._busy_chats:
                    continue  # this chat's previous message is still on its way
                wait = self.pacer.wait_for(row.chat_id, row.is_group, now) if counted else 0
                if wait > 0:
                    next_look = min(next_look, wait)
                    continue
            params = await self._with_refs(row, ref_rows)
            if params is None:
                continue
            if counted:
                self.pacer.take(row.chat_id, row.is_group, now)
            starting.append((row, params))
            free -= 1
        if starting:
            async with self.db.transaction() as conn:
                await outbox.mark_sending(conn, [row.id for row, _ in starting])
            # busy only once really starting: a failed mark must not leave a chat busy for ever
            self._busy_chats.update(row.chat_id for row, _ in starting if row.chat_id is not None)
            self.pacer.restamp([(row.chat_id, row.is_group) for row, _ in starting
                                if row.chat_id is not None and self.pacer.counts(row.method)], time.monotonic())
            for row, params in starting:
                self._in_flight[row.id] = asyncio.create_task(self._send(row, params))
        return next_look

    async def _with_refs(self, row, ref_rows: dict) -> dict | None:
        """Fill in message ids of earlier rows; None = not yet (or never) possible."""
        wanted = _refs(row.params, set())
        if not wanted:
            return row.params
        ids: dict[str, int] = {}
        for key in wanted:
            status, message_id = ref_rows.get(key, ("missing", None))
            if status in ("pending", "sending"):
                return None
            if status != "sent" or message_id is None:
                params = dict(row.params)
                if params.pop("reply_parameters", None) is not None and not _refs(params, set()):
                    return params  # a reply whose original never arrived goes as a plain message
                async with self.db.transaction() as conn:
                    await outbox.mark_final(conn, row.id, "failed", f"{key} was never delivered",
                                            self.clock.now())
                self.stats.failed += 1
                return None
            ids[key] = message_id
        return _resolve(row.params, ids)

    async def _send(self, row, params: dict) -> None:
        try:
            result = await self.api.call(row.method, params)
        except ApiError as exc:
            await self._failed(row, exc)
        except Exception as exc:  # an unexpected error is treated like a network error
            log.exception("send of outbox row %s raised", row.id)
            await self._failed(row, ApiError("network", repr(exc)))
        else:
            self._delivered.append((row.id, result.get("message_id") if isinstance(result, dict) else None))
            await self._record_delivered()
            self.stats.sent += 1
            log.info("sent", extra={"outbox_id": row.id, "method": row.method, "chat_id": row.chat_id})
        finally:
            self._in_flight.pop(row.id, None)
            self._busy_chats.discard(row.chat_id)
            self.wake.set()

    async def _record_delivered(self) -> None:
        """Mark delivered rows sent; sends that finish together share one transaction."""
        async with self._recording:
            batch, self._delivered = self._delivered, []
            if batch:
                async with self.db.transaction() as conn:
                    await outbox.mark_sent(conn, batch, self.clock.now())

    async def _failed(self, row, exc: ApiError) -> None:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if exc.kind == "retry_after":
                pause = max(exc.retry_after or 1.0, 0.5)
                self._paused_until = max(self._paused_until, time.monotonic() + pause)
                self.stats.rate_limited += 1
                log.warning("429 from Telegram: pausing all sends for %.1f s", pause)
                await outbox.retry_later(conn, row.id, now + timedelta(seconds=pause), exc.description,
                                         count_attempt=False)
            elif exc.kind == "forbidden":
                self.stats.blocked += 1
                await outbox.mark_final(conn, row.id, "blocked", exc.description, now)
                await lifecycle.card_lost(conn, row.key, now)
                if row.chat_id and row.chat_id > 0:
                    await people.set_reachable(conn, row.chat_id, False)
                log.warning("recipient unreachable", extra={"outbox_id": row.id, "chat_id": row.chat_id})
            elif exc.kind == "bad_request" and "message is not modified" in exc.description:
                await outbox.mark_sent(conn, [(row.id, None)], now)  # the card already shows this state
            elif row.method == "answerCallbackQuery" and "query is too old" in exc.description.lower():
                # The button's spinner has long stopped (or the answer arrived before a crash and
                # this is the re-send): nothing is left to deliver, so this is not a failure.
                await outbox.mark_final(conn, row.id, "expired", exc.description, now)
            elif exc.kind in ("bad_request", "conflict") or row.attempts + 1 >= MAX_ATTEMPTS:
                self.stats.failed += 1
                await outbox.mark_final(conn, row.id, "failed", exc.description, now)
                await lifecycle.card_lost(conn, row.key, now)
                log.error("send failed for good", extra={"outbox_id": row.id, "method": row.method,
                                                         "reason": exc.description})
            else:
                self.stats.retried += 1
                await outbox.retry_later(conn, row.id, outbox.backoff(row.attempts + 1, now), exc.description)
