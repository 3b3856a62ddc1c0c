"""The one sender: drains the outbox at Telegram's pace.

Telegram meters per bot token: about 30 messages/s overall, 1/s per chat, 20/min per group.
The sender keeps all three, keeps each chat's messages in order, pauses everything on a 429
for ``retry_after``, marks 403 recipients unreachable, fails a 400 once with its reason, and
retries network errors and 5xx with backoff. A row is marked 'sending' before the call, so a
crash leaves it 'sending' and the next start sends it again (a rare duplicate beats a loss).
Drafts (a digest's messages, handlers/core/drafts.py) are written ``DRAFTS_AHEAD`` seconds of
sending ahead: whenever fewer messages than that wait, the next ones, in a short transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from bot.clock import Clock
from bot.transport import ApiError, BotApi
from handlers.reports import lifecycle
from storage import outbox, people
from storage.db import Database

log = logging.getLogger("linkage.sender")

MAX_ATTEMPTS = 12
COUNTED = outbox.COUNTED
PAID = ("send", "copyMessage")  # the methods that take allow_paid_broadcast
NEVER = float("inf")  # the finish time of a message still in flight
EPSILON = 0.001  # seconds: a window that closes exactly as the next message leaves
# A row whose slot opens within this many seconds is claimed (and marked 'sending') now and leaves
# the moment its slot opens: the look at the outbox and the claim's commit happen while the window
# is still full, not after it opened (they cost tens of milliseconds a window on a busy machine).
LOOKAHEAD = 0.1
DRAFTS_AHEAD = 2.0  # seconds of sending written ahead from the drafts
DRAFTS_MAX = 200  # drafts written in one transaction at most (each a digest rendered: ~1 ms)
# seconds between looks for drafts while the last look found none: drafts queued by this process's
# scheduler are looked for at once (``drafts_queued``), those of a command or another worker by then
DRAFTS_IDLE = 5.0
DRAFTS_RETRY = 5.0  # seconds before drafts are tried again after writing them failed


@dataclass(eq=False)
class Slot:
    """One message: it reached Telegram at some moment after ``left`` and before ``done`` (the
    answer read); ``done`` is NEVER while it is in flight."""

    left: float
    done: float = NEVER


class Window:
    """At most ``limit`` messages within any ``seconds``, counted as Telegram counts them: when they
    arrive. The sender cannot see arrivals, but each one lies between the moment its message
    left and the moment the answer came back; so a message may leave at ``now`` only if fewer than
    ``limit`` earlier ones finished after ``now - seconds`` (or are still in flight). Whatever the
    network and the event loop do meanwhile, no ``seconds`` of arrivals then hold ``limit + 1``:
    of such a crowd, the one that left last would have seen the other ``limit`` still counted.
    The price is one round trip per window instead of a fixed margin."""

    def __init__(self, limit: float, seconds: float):
        self.limit, self.seconds = limit, seconds
        self.slots: deque[Slot] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more message may leave (0 = now)."""
        slots, seconds = self.slots, self.seconds
        while slots and slots[0].done + seconds + EPSILON <= now:
            slots.popleft()
        over = len(slots) - int(self.limit) + 1  # how many of the oldest must be out of the window
        if over <= 0:
            return 0.0
        # left to right only, so a slot stays while an older one is counted (a little conservative)
        latest = max(slots[i].done for i in range(over))
        return latest + seconds + EPSILON - now  # NEVER while one of them is in flight

    def add(self, slot: Slot) -> None:
        self.slots.append(slot)


@dataclass
class Pacer:
    """Telegram's three limits, each a ``Window`` of finish times: overall per second (the paid
    broadcasts' own, higher one for rows sent with ``allow_paid_broadcast``), one message per chat
    per ``1 / per_chat_per_second``, and per group per minute."""

    per_second: float
    per_chat_per_second: float
    per_group_per_minute: float
    paid_per_second: float = 1000
    overall: Window = field(init=False)
    paid: Window = field(init=False)
    per_group: dict = field(init=False)
    last_in_chat: dict = field(init=False)

    def __post_init__(self) -> None:
        self.last_in_chat = {}
        self.overall = Window(self.per_second, 1.0)
        self.paid = Window(self.paid_per_second, 1.0)  # every message, paid or not, counts here
        self.per_group = defaultdict(lambda: Window(self.per_group_per_minute, 60.0))

    @staticmethod
    def counts(method: str) -> bool:
        return method.startswith(COUNTED)

    def wait_for(self, chat_id: int, is_group: bool, now: float, paid: bool = False) -> float:
        """Seconds until a message to this chat may leave (0 = now; NEVER = when a send in
        flight finishes)."""
        waits = [self.paid.wait(now)]
        if not paid:
            waits.append(self.overall.wait(now))
        last = self.last_in_chat.get(chat_id)
        if last is not None:
            waits.append(last.done + 1.0 / self.per_chat_per_second + EPSILON - now)
        if is_group:
            waits.append(self.per_group[chat_id].wait(now))
        return max(0.0, *waits)

    def count_earlier(self, sends: list, now: datetime, monotonic_now: float) -> None:
        """Count another sender's messages (chat_id, is_group, sent_at; None = in flight, may
        arrive any moment: counted as arriving now), oldest first."""
        for chat_id, is_group, sent_at in sorted(sends, key=lambda s: (s[2] is None, s[2] or now)):
            done = monotonic_now - (0.0 if sent_at is None else max(0.0, (now - sent_at).total_seconds()))
            self.take(chat_id, is_group, done).done = done

    def take(self, chat_id: int, is_group: bool, now: float, paid: bool = False) -> Slot:
        """Count a message leaving now; the caller sets the slot's ``done`` once answered."""
        slot = Slot(now)
        self.paid.add(slot)
        if not paid:
            self.overall.add(slot)
        self.last_in_chat[chat_id] = slot
        if is_group:
            self.per_group[chat_id].add(slot)
        return slot


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


WriteDrafts = Callable[[int], Awaitable[int]]  # (at most how many) -> drafts written (Scheduler.write_drafts)


class Sender:
    def __init__(self, db: Database, api: BotApi, clock: Clock, *, per_second: float = 30,
                 per_chat_per_second: float = 1, per_group_per_minute: float = 20, concurrency: int = 8,
                 paid_broadcast: bool = False, paid_per_second: float = 1000,
                 write_drafts: WriteDrafts | None = None):
        self.db, self.api, self.clock = db, api, clock
        self.write_drafts = write_drafts
        self.drafts_ahead = min(DRAFTS_MAX, int(DRAFTS_AHEAD * (paid_per_second if paid_broadcast else per_second)))
        self._drafts_look = 0.0  # time.monotonic() of the next look for drafts
        self.pacer = Pacer(per_second, per_chat_per_second, per_group_per_minute, paid_per_second)
        self.paid_broadcast = paid_broadcast
        self.concurrency = concurrency
        self.wake = asyncio.Event()
        # a send answered: set even when the answer comes before the sender starts waiting (a
        # quick API), so that chat's next row is looked at now, not after the idle wait
        self.answered = asyncio.Event()
        self.stats = SenderStats()
        self._paused_until = 0.0
        self._in_flight: dict[int, asyncio.Task] = {}
        self._busy_chats: set[int] = set()
        # answered rows not yet marked sent: the next look at the outbox marks them in its own
        # transaction (one per batch, not one per message); until then they stay 'sending'
        self._delivered: list[tuple[int, int | None]] = []
        self._left_behind = False  # the last look passed over due rows (a busy chat, a pace, no slot)
        self._look_at = 0.0  # time.monotonic() when the last look said to look again

    async def recover(self) -> int:
        """At start (or on taking the lead): count in Telegram's windows what the last sender sent
        in the last minute, so the two together keep the limits; then rows a crash left 'sending'
        go out again."""
        now = self.clock.now()
        self.pacer = replace(self.pacer)  # empty windows: what was sent before is read back below
        async with self.db.transaction() as conn:
            self.pacer.count_earlier(await outbox.recent_sends(conn, now - timedelta(seconds=60)), now, time.monotonic())
            count = await outbox.requeue_interrupted(conn, now)
        self.stats.requeued_at_start = count
        if count:
            log.warning("re-sending %d messages interrupted by the last stop", count)
        return count

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            woken = self.wake.is_set()  # new rows were queued
            self.wake.clear()
            self.answered.clear()
            if not woken and not self._left_behind and time.monotonic() < self._look_at:
                # only answers came back, and the last look left nothing behind: no look is needed
                # to see that nothing is due, only the answered rows marked
                await self._record_delivered()
                delay = self._look_at - time.monotonic()
            else:
                delay = await self.step()
                self._look_at = time.monotonic() + delay
            await self._wait(stop, delay)
        if self._in_flight:  # finish the work in hand, start nothing new
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        await self._record_delivered()

    async def _wait(self, stop: asyncio.Event, timeout: float) -> None:
        """Until woken (new rows), stopped, a send answered or ``timeout`` passed."""
        if timeout <= 0:
            return
        waiters = {asyncio.ensure_future(event.wait()) for event in (self.wake, stop, self.answered)}
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    async def drain(self, timeout: float = 60) -> bool:
        """Send until the outbox has nothing due (tests and the demo); True if it emptied."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            delay = await self.step()
            async with self.db.read() as conn:
                counts = await outbox.counts(conn)
            if not any(counts.get(status) for status in outbox.UNSENT) and not self._in_flight:
                return True
            pause = min(max(delay, 0.01), 0.2)
            if self._in_flight:  # a send that finishes may let the next one go: look again then
                await asyncio.wait(list(self._in_flight.values()), timeout=pause, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(pause)
        return False

    async def step(self) -> float:
        """Start every send that may go now; returns how long to wait before looking again.

        The rows are claimed in one transaction: read with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL;
        nothing on SQLite, whose writer is alone anyway), marked 'sending', committed; a second
        sender (a leader that lost its lock and does not know it yet) passes over them."""
        now = time.monotonic()
        free = self.concurrency - len(self._in_flight)
        if now < self._paused_until or free <= 0:
            self._left_behind = True
            await self._record_delivered()
            return self._paused_until - now if now < self._paused_until else 1.0
        next_look = 1.0
        chosen: list[tuple] = []  # (row, paid, slot): rows every limit lets go now, their slots taken
        starting: list[tuple] = []
        delivered, self._delivered = self._delivered, []
        self._left_behind = True  # until this look has seen every due row start
        try:
            async with self.db.transaction() as conn:
                if delivered:  # first: a chat's next row is due only once its previous one is marked
                    await outbox.mark_sent(conn, delivered, self.clock.now())
                limit = max(200, free * 20)
                rows = await outbox.due(conn, self.clock.now(), limit=limit, claim=True)  # one per chat
                now = time.monotonic()  # the claim may have waited for the database
                for row in rows:
                    if free <= 0 or row.id in self._in_flight:
                        continue
                    counted = row.chat_id is not None and self.pacer.counts(row.method)
                    paid = counted and self._paid(row)
                    wait = 0.0
                    if row.chat_id is not None:
                        if row.chat_id in self._busy_chats:
                            continue  # this chat's previous message is still on its way
                        wait = self.pacer.wait_for(row.chat_id, row.is_group, now, paid) if counted else 0
                        if wait > LOOKAHEAD:  # (NEVER too: a send in flight decides it)
                            next_look = min(next_look, wait - LOOKAHEAD)
                            continue
                    # counted now, before the request can leave; a slot that opens within the
                    # look-ahead is claimed now and its message leaves exactly then
                    slot = self.pacer.take(row.chat_id, row.is_group, now + wait, paid) if counted else None
                    chosen.append((row, paid, slot))
                    free -= 1
                if chosen:  # their messages, read now: only these rows' JSON is decoded
                    params = await outbox.params_of(conn, [row.id for row, _, _ in chosen])
                    refs = _refs(list(params.values()), set())
                    ref_rows = await outbox.message_ids_for(conn, refs) if refs else {}
                    for row, paid, slot in chosen:
                        row_params = await self._with_refs(conn, row, params[row.id], ref_rows)
                        if row_params is None:  # not yet (or never): its slot goes unused
                            if slot is not None:
                                slot.done = time.monotonic()
                            continue
                        if paid:
                            row_params = {**row_params, "allow_paid_broadcast": True}
                        starting.append((row, row_params, slot))
                if starting:
                    await outbox.mark_sending(conn, [row.id for row, _, _ in starting])
                left = [row for row in rows if row.id not in self._in_flight]
                # a chat's later rows are not in ``rows`` (one per chat): they are due once its head is sent
                self._left_behind = len(left) > len(starting) or len(rows) == limit or any(
                    row.followed for row, _, _ in starting)
        except BaseException:  # nothing starts: the slots taken count as sent now, and free their chats
            self._delivered = delivered + self._delivered  # still to be marked
            for _, _, slot in chosen:
                if slot is not None:
                    slot.done = time.monotonic()
            raise
        # busy only once really starting: a failed mark must not leave a chat busy for ever
        self._busy_chats.update(row.chat_id for row, _, _ in starting if row.chat_id is not None)
        for row, params, slot in starting:
            self._in_flight[row.id] = asyncio.create_task(self._send(row, params, slot))
        if len(rows) - len(starting) < self.drafts_ahead and await self._write_drafts():
            return 0.0  # look again now: the drafts just written may go
        return next_look

    def drafts_queued(self) -> None:
        """Drafts may have been queued (a chunk of a digest): look for them at the next step."""
        self._drafts_look = 0.0
        self.wake.set()

    async def _write_drafts(self) -> int:
        """Messages from the next drafts, when fewer than ``drafts_ahead`` wait (at most once a
        ``DRAFTS_IDLE`` while there were none)."""
        if self.write_drafts is None or time.monotonic() < self._drafts_look:
            return 0
        try:
            written = await self.write_drafts(self.drafts_ahead)
        except Exception:  # the messages already written keep going; the drafts wait for the next try
            log.exception("drafts not written")
            self._drafts_look = time.monotonic() + DRAFTS_RETRY
            return 0
        self._drafts_look = 0.0 if written else time.monotonic() + DRAFTS_IDLE
        return written

    def _paid(self, row) -> bool:
        """Bulk rows to members go with ``allow_paid_broadcast`` when the office pays for it."""
        return (self.paid_broadcast and row.priority == outbox.BULK and not row.is_group
                and row.method.startswith(PAID))

    async def _with_refs(self, conn, row, params: dict, ref_rows: dict) -> dict | None:
        """Fill in message ids of earlier rows in the row's ``params``; None = not yet (or never) possible."""
        wanted = _refs(params, set())
        if not wanted:
            return params
        ids: dict[str, int] = {}
        for key in wanted:
            status, message_id = ref_rows.get(key, ("missing", None))
            if status in outbox.UNSENT:
                return None
            if status != "sent" or message_id is None:
                plain = dict(params)
                if plain.pop("reply_parameters", None) is not None and not _refs(plain, set()):
                    return plain  # a reply whose original never arrived goes as a plain message
                await outbox.mark_final(conn, row.id, "failed", f"{key} was never delivered", self.clock.now())
                self.stats.failed += 1
                return None
            ids[key] = message_id
        return _resolve(params, ids)

    async def _send(self, row, params: dict, slot: Slot | None) -> None:
        try:
            try:
                if slot is not None and slot.left > time.monotonic():
                    await asyncio.sleep(slot.left - time.monotonic())  # late is safe, early never
                result = await self.api.call(row.method, params)
            finally:
                if slot is not None:  # answered (or failed): it reached Telegram by now, if at all
                    slot.done = time.monotonic()
        except ApiError as exc:
            await self._failed(row, exc)
        except Exception as exc:  # an unexpected error is treated like a network error
            log.exception("send of outbox row %s raised", row.id)
            await self._failed(row, ApiError("network", repr(exc)))
        else:
            self._delivered.append((row.id, result.get("message_id") if isinstance(result, dict) else None))
            self.stats.sent += 1
            # DEBUG: the outbox row records every delivery (status, sent_at, message_id); a digest
            # to 100,000 members would otherwise be 100,000 lines
            log.debug("sent", extra={"outbox_id": row.id, "method": row.method, "chat_id": row.chat_id})
        finally:
            self._in_flight.pop(row.id, None)
            self._busy_chats.discard(row.chat_id)
            self.answered.set()

    async def _record_delivered(self) -> None:
        """Mark the answered rows sent in a transaction of their own (when no look at the outbox
        is about to: paused, every send slot busy, stopping)."""
        batch, self._delivered = self._delivered, []
        if batch:
            try:
                async with self.db.transaction() as conn:
                    await outbox.mark_sent(conn, batch, self.clock.now())
            except BaseException:
                self._delivered = batch + self._delivered
                raise

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
