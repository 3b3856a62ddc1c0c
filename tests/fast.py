"""The fast tier: the same stack as tests/conftest.py's, driven in-process.

What stays: the sandbox's state (``SandboxServer`` with its world: people, chats, message ids,
edits, files, the event log) and its Bot API methods, so every answer the bot gets is the one the
HTTP server would give; and the whole real bot — ``LinkageApp`` with its poller, inbox,
dispatcher, scheduler and sender loops, on a real database.

What goes: HTTP, the framework adapters and pacing. ``InProcessApi`` is the bot's ``BotApi``: it
calls the sandbox's method handlers directly (getUpdates included, so raw Bot API updates reach
the inbox and dispatcher exactly as polled ones do, and the sender delivers outbox rows into the
sandbox state). ``InProcessClient`` is ``SandboxClient`` with its one transport method replaced by
a direct call of the control API's handlers, so tests keep the same ``stack.sb`` API. Flood limits
are off on both sides: pacing is the HTTP tier's subject (test_sender, test_limits, test_flood).

Why this and not a client that writes inbox rows and reads outbox rows: the tests read what a
member sees (``sb.messages``, ``wait_for``, callback answers), and only the sandbox knows that
truthfully — message ids, edits that change nothing, a blocked member's 403. Everything answers as
JSON (round-tripped), as over HTTP, so no test shares a live object with the sandbox.

Not here: fault injection (HTTP-level by nature) and anything about adapters, webhooks or the
sender's pace — those tests stay on the HTTP tier (``pytest.mark.tier("http")``).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import mimetypes
import re
import time
from typing import Any

from bot.sandbox import SandboxClient, SandboxServer
from bot.sandbox.control import ROUTES, Control, ControlError
from bot.sandbox.faults import ApiError as SandboxApiError
from bot.sandbox.params import METHODS, Params
from bot.transport import ALLOWED_UPDATES, ApiError, upload_of
from storage import outbox

IN_PROCESS = "in-process"  # the `framework` of a fast-tier test
UNLIMITED = 1_000_000.0  # the sender's allowances when pacing is off


def _as_json(value: Any) -> Any:
    """What the other side of an HTTP call would get: a copy, JSON types only."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _error_kind(code: int) -> str:
    """How the adapters sort Bot API error codes (bot/adapters)."""
    if code == 429:
        return "retry_after"
    if code == 403:
        return "forbidden"
    if code == 409:
        return "conflict"
    return "server" if code >= 500 else "bad_request"


class InProcessApi:
    """The bot's Bot API, answered by the sandbox's method handlers without HTTP."""

    name = IN_PROCESS

    def __init__(self, server: SandboxServer, token: str):
        self.server, self.token = server, token

    async def start(self) -> dict:
        return await self.call("getMe", {})

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        bot = self.server.world.bot(self.token)
        name, handler = METHODS.get(method.lower(), (method, None))
        values, files = {}, {}
        for key, value in _as_json({k: v for k, v in params.items() if v is not None}).items():
            if upload := upload_of(value):
                files[key] = (upload[0], upload[1], mimetypes.guess_type(upload[0])[0] or "application/octet-stream")
            else:
                values[key] = value
        p = Params(values, files)
        record = {"time": time.time(), "bot_id": bot.id, "method": name, "params": p.summary(), "status": 200}
        self.server.world.calls.append(record)  # ``sb.calls()`` shows it as the HTTP server records it
        bot.calls[name] += 1
        try:
            if handler is None:
                raise SandboxApiError(404, "Not Found")
            result = handler(self.server, bot, p)
            if inspect.isawaitable(result):
                result = await result
        except SandboxApiError as exc:
            record.update(status=exc.code, description=exc.description)
            bot.statuses[exc.code] += 1
            raise ApiError(_error_kind(exc.code), exc.description, exc.retry_after) from None
        bot.statuses[200] += 1
        return _as_json(result)

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict]:
        return await self.call("getUpdates", {"offset": offset, "timeout": timeout,
                                              "allowed_updates": ALLOWED_UPDATES})

    async def close(self) -> None:
        pass


def _route_pattern(path: str) -> re.Pattern:
    """``/control/callbacks/{id}`` as a pattern of the path after ``/control/``."""
    return re.compile(re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path.removeprefix("/control/"))) + "$")


CONTROL_ROUTES = [(method, _route_pattern(path), fn) for method, path, fn in ROUTES]


class InProcessClient(SandboxClient):
    """``SandboxClient`` whose control calls reach the sandbox's handlers directly."""

    def __init__(self, server: SandboxServer, token: str):
        super().__init__("in-process:", token)
        self.server, self.control, self.api = server, Control(server), InProcessApi(server, token)

    async def _request(self, method: str, path: str, query: dict, body: dict | None, timeout: float) -> tuple[int, dict]:
        for route_method, pattern, handler in CONTROL_ROUTES:
            if route_method == method and (match := pattern.match(path)):
                break
        else:
            return 404, {"ok": False, "description": f"no control route {method} {path}"}
        args = {**query, **match.groupdict(), **_as_json(body or {})}
        try:
            result = handler(self.control, args, method)
            if inspect.isawaitable(result):
                result = await result
        except ControlError as exc:
            return exc.status, {"ok": False, "description": str(exc)}
        except ValueError as exc:
            return 400, {"ok": False, "description": str(exc)}
        return 200, {"ok": True, "result": _as_json(result)}

    async def download(self, file_id: str) -> bytes:
        """A file's bytes, fetched as a bot fetches them: getFile, then the file at its path."""
        path = (await self.api.call("getFile", {"file_id": file_id}))["file_path"]
        return self.server.world.paths[path].content()

    async def faults(self, *rules, seed: int | None = None, **rule) -> dict:
        raise NotImplementedError("faults act on HTTP: mark the test pytest.mark.tier('http')")


async def outbox_emptied(db, sender_wake: asyncio.Event, timeout: float = 30) -> bool:
    """Wait for the running sender to send everything queued. The sender loop is woken by each
    send, so this polls the outbox briefly instead of stepping the sender in 0.2 s naps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with db.read() as conn:
            counts = await outbox.counts(conn)
        if not any(counts.get(status) for status in outbox.UNSENT):
            return True
        sender_wake.set()
        await asyncio.sleep(0.005)
    return False
