"""Supervision of `linkage run`'s long-running loops (poller, webhook, dispatcher, sender, scheduler).

An unexpected error in a loop is logged with its traceback and the loop starts again after a
backoff (1 s, doubling, at most a minute); a loop that fails ``max_failures`` times within
``window`` seconds gives up: the whole process stops and exits non-zero, so its supervisor
(systemd, Docker) restarts it. Nothing is lost meanwhile: updates wait with Telegram or in the
inbox, messages in the outbox.

``/healthz`` and ``linkage status`` judge each loop by its last progress (``report``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable

from aiohttp import web

from storage.health import QueueState

log = logging.getLogger("linkage.supervise")

# A loop is stalled when it has work and has made no progress for this long (seconds).
DISPATCHER_STALL = 60  # an update waiting in the inbox, none handled
SENDER_STALL = 120  # a message due in the outbox, none finished (a 429 pause makes rows not due)
POLLER_GRACE = 30  # beyond the long-polling timeout: no successful getUpdates
SCHEDULER_GRACE = 60  # beyond the safety tick: the tick did not complete


@dataclass
class LoopState:
    name: str
    beats: bool = True  # calls progress(); else its progress is judged from the database only
    state: str = "starting"  # starting | running | restarting | gave up | stopped
    started: float = field(default_factory=time.monotonic)
    last_progress: float | None = None  # time.monotonic()
    restarts: int = 0
    last_error: str | None = None  # the exception's type: its text may quote what a member sent
    failures: deque = field(default_factory=deque)  # monotonic times within the window

    def progress(self) -> None:
        self.last_progress = time.monotonic()
        if self.state in ("starting", "restarting"):
            self.state = "running"

    def seconds_since_progress(self, now: float) -> float | None:
        """Since the last progress, or since the start when there was none yet."""
        return round(now - (self.last_progress or self.started), 1) if self.beats else None


class Supervisor:
    def __init__(self, stop: asyncio.Event, *, max_failures: int = 5, window: float = 300,
                 first_backoff: float = 1.0, max_backoff: float = 60.0):
        self.stop = stop
        self.max_failures, self.window = max_failures, window
        self.first_backoff, self.max_backoff = first_backoff, max_backoff
        self.loops: dict[str, LoopState] = {}
        self.gave_up: str | None = None  # the loop that made the process stop

    def loop(self, name: str, *, beats: bool = True) -> LoopState:
        return self.loops.setdefault(name, LoopState(name, beats=beats))

    def spawn(self, name: str, run: Callable[[Callable[[], None]], Awaitable[None]], *,
              beats: bool = True, until: asyncio.Event | None = None) -> asyncio.Task:
        """Run ``run(progress)`` until the stop event (or ``until``: the leader's loops end with its
        term), starting it again whenever it fails."""
        state = self.loop(name, beats=beats)
        state.state = "running" if not beats else "starting"
        return asyncio.create_task(self._watch(state, run, until or self.stop), name=name)

    async def _watch(self, state: LoopState, run: Callable[[Callable[[], None]], Awaitable[None]],
                     until: asyncio.Event) -> None:
        def ended() -> bool:
            return self.stop.is_set() or until.is_set()

        while not ended():
            try:
                await run(state.progress)
                if ended():
                    break
                raise RuntimeError(f"the {state.name} loop returned without being stopped")
            except Exception as exc:
                if not self.failed(state, exc):
                    return
                delay = min(self.max_backoff, self.first_backoff * 2 ** (len(state.failures) - 1))
                state.state = "restarting"
                log.warning("starting %s again in %.1f s", state.name, delay)
                await sleep_unless_stopped(until, delay)
                state.restarts += 1
                if not state.beats:
                    state.state = "running"
        state.state = "stopped"

    def failed(self, state: LoopState, exc: BaseException) -> bool:
        """Log (with its traceback) and count a failure of ``state``'s loop. False when it failed
        too often: then the process stops, and exits non-zero."""
        now = time.monotonic()
        state.failures.append(now)
        while state.failures and now - state.failures[0] > self.window:
            state.failures.popleft()
        state.last_error = type(exc).__name__
        if len(state.failures) < self.max_failures:
            log.error("%s failed (%d within %.0f s)", state.name, len(state.failures), self.window, exc_info=exc)
            return True
        state.state = "gave up"
        self.gave_up = self.gave_up or state.name
        log.critical("%s failed %d times within %.0f s: giving up, the process stops", state.name,
                     len(state.failures), self.window, exc_info=exc)
        self.stop.set()
        return False

    def report(self, queues: QueueState | None, now: datetime, *, poll_timeout: float,
               tick_seconds: float) -> dict:
        """Each loop's state, last progress and whether it is stalled; ``ok`` is False when any
        loop is stalled or gave up, or the database could not be read (``queues`` None)."""
        mono = time.monotonic()
        loops = {}
        for name, state in self.loops.items():
            since = state.seconds_since_progress(mono)
            loops[name] = {"state": state.state, "seconds_since_progress": since, "restarts": state.restarts,
                           "recent_failures": len(state.failures), "last_error": state.last_error,
                           "stalled": self._stalled(name, since, queues, poll_timeout, tick_seconds)}
        ok = queues is not None and all(not loop["stalled"] and loop["state"] != "gave up"
                                        for loop in loops.values())
        return {"ok": ok, "loops": loops, "queues": queues.as_dict(now) if queues else None}

    @staticmethod
    def _stalled(name: str, since: float | None, queues: QueueState | None, poll_timeout: float,
                 tick_seconds: float) -> str | None:
        """Why the loop counts as stalled, or None. (The poller and the scheduler beat: ``since``
        is a number for them.)"""
        if name == "poller" and since > poll_timeout + POLLER_GRACE:
            return f"no successful getUpdates for more than {poll_timeout + POLLER_GRACE:.0f} s"
        if name == "scheduler" and since > tick_seconds + SCHEDULER_GRACE:
            return f"the safety tick has not completed for more than {tick_seconds + SCHEDULER_GRACE:.0f} s"
        if queues is not None and name in ("dispatcher", "sender"):
            return queues.dispatcher_stalled if name == "dispatcher" else queues.sender_stalled
        return None


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


HEALTH_PATH = "/healthz"


def add_health_route(app: web.Application, report: Callable[[], Awaitable[dict]]) -> None:
    """GET /healthz: the report as JSON; 200 when ``ok``, else 503."""
    async def healthz(_request: web.Request) -> web.Response:
        body = await report()
        return web.json_response(body, status=200 if body["ok"] else 503)

    app.router.add_get(HEALTH_PATH, healthz)
