"""The one way the benches and the tests run ``linkage`` (or another bot) as a real child process:
started as often as needed with an environment of its own, waited for until a condition holds,
signalled, stopped or killed; its stdout and stderr go to one file beside its other files."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINKAGE_RUN = ("-m", "bot.cli", "run")
START_TIMEOUT = 90.0  # on a busy shared machine importing aiogram alone has taken 28 s
STOP_TIMEOUT = 20.0
POLL_EVERY = 0.05
STARTED = "bot started"  # what `linkage run` logs once it is up (bot/app.py)


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without any LINKAGE_* of the caller's, so only ``extra`` configures the child;
    the project importable from any working directory; output unbuffered, so the file keeps up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


class BotProcess:
    """``python <args>`` (``linkage run`` unless told otherwise) in ``workdir``, its output appended
    to ``workdir/<label>.out`` across restarts."""

    def __init__(self, env: dict[str, str], workdir: Path, *, args: Sequence[str] = LINKAGE_RUN,
                 label: str = "bot"):
        self.argv, self.env, self.workdir, self.label = [sys.executable, *args], child_env(env), Path(workdir), label
        self.output_path = self.workdir / f"{label}.out"
        self.log_file = Path(env["LINKAGE_LOG_FILE"]) if "LINKAGE_LOG_FILE" in env else None
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, ready: Callable[[], bool] | None = None, timeout: float = START_TIMEOUT) -> None:
        """Start it (again); with ``ready``, return once that holds (see ``wait_until``)."""
        with open(self.output_path, "ab") as out:  # the child has its own copy of the descriptor
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env, cwd=self.workdir, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                stderr=asyncio.subprocess.STDOUT)
        self.starts += 1
        if ready is not None:
            await self.wait_until(ready, timeout)

    async def wait_until(self, condition: Callable[[], bool], timeout: float) -> None:
        """Poll ``condition``; RuntimeError, with the end of the output, if the process exits or
        ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while not condition():
            if not self.running:
                raise RuntimeError(f"{self.label} exited with {self.returncode} while waiting:\n{self.output_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label} was not ready within {timeout:.0f} s:\n{self.output_tail()}")
            await asyncio.sleep(POLL_EVERY)

    def logged_start(self) -> bool:
        """A readiness condition for ``linkage run``: its log says it started, once per start."""
        try:
            log = self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return False
        return log.count(STARTED) >= self.starts

    def send_signal(self, sig: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)

    async def wait(self, timeout: float) -> int:
        """Its exit status; TimeoutError if it is still running after ``timeout`` seconds."""
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        """SIGKILL, as a crash; safe when it is not running."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):  # it exited just now
                self.process.kill()
            await self.process.wait()

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int | None:
        """``sig``, then SIGKILL if it has not exited in time (or this is interrupted); the exit
        status (None if it never started). Safe to call again."""
        try:
            self.send_signal(sig)
            if self.running:
                try:
                    await self.wait(timeout)
                except TimeoutError:
                    pass
        finally:
            await self.kill()
        return self.returncode

    def output(self) -> str:
        try:
            return self.output_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def output_tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])
