"""One leader among the workers: the process holding the leader lock (storage/leader.py) runs the
sender and the scheduler; every process stores and handles updates.

A follower tries the lock every ``retry_seconds``. The leader checks every ``retry_seconds`` that
its lock connection still answers; when it does not, the lock is gone with it (PostgreSQL freed it
when the connection dropped, and a follower may hold it already), so the leader steps down at
once: its sender and scheduler stop, and it goes back to trying. A new term begins with what a
start does: rows the last leader left 'sending' go out again (a rare duplicate, never a loss),
the scheduler is rebuilt from the timers table and catches up. On SQLite the one process leads
from its start to its stop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from bot.supervise import sleep_unless_stopped
from storage.leader import LeaderLock

log = logging.getLogger("linkage.leader")


class Leadership:
    def __init__(self, lock: LeaderLock, stop: asyncio.Event, *,
                 begin: Callable[[asyncio.Event], Awaitable[None]], end: Callable[[], Awaitable[None]],
                 retry_seconds: float = 1.0):
        self.lock, self.stop = lock, stop
        self.begin, self.end = begin, end  # start / stop the leader's loops for one term
        self.retry_seconds = retry_seconds
        self.leading = False
        self.terms = 0
        self.term: asyncio.Event | None = None  # set when the current term ends

    async def try_lead(self) -> bool:
        """Take the lock if it is free, and begin a term; True when leading."""
        if self.leading:
            return True
        try:
            if not await self.lock.acquire():
                return False
        except Exception as exc:  # a database down is a reason to try again, not to fail
            log.warning("could not try the leader lock (%s); trying again", type(exc).__name__)
            await self.lock.release()
            return False
        self.leading, self.terms, self.term = True, self.terms + 1, asyncio.Event()
        log.info("leading: this process runs the sender and the scheduler", extra={"term": self.terms})
        try:
            await self.begin(self.term)
        except BaseException:
            await self.step_down("the term could not begin")
            raise
        return True

    async def run(self, on_progress: Callable[[], None] = lambda: None) -> None:
        """The supervised "leader" loop: follow until the lock is free, lead while it is held."""
        while not self.stop.is_set():
            if not self.leading:
                await self.try_lead()
            elif not await self.lock.held():
                await self.step_down("the leader lock's connection was lost")
            on_progress()
            await sleep_unless_stopped(self.stop, self.retry_seconds)

    async def step_down(self, why: str) -> None:
        if self.leading:
            log.error("stepping down as leader: %s", why)
        self.leading = False
        if self.term is not None:
            self.term.set()
            await self.end()
        await self.lock.release()

    async def close(self) -> None:
        """At the process's stop: end the term (if any) and free the lock."""
        if self.term is not None and not self.term.is_set():
            self.term.set()
            await self.end()
        self.leading = False
        await self.lock.release()
