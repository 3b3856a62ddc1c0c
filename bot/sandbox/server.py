"""A faithful fake of the Telegram Bot API over real HTTP.

Bots connect to it exactly as to a self-hosted Bot API server (``{base}/bot{token}/{method}``,
files under ``{base}/file/bot{token}/{path}``); tests and the demo act as people through the
control API (``{base}/control/...``, see ``control.py``).
"""

from __future__ import annotations

import asyncio
import inspect
import random
import socket
import struct
import time
from http import HTTPStatus

import aiohttp
from aiohttp import web

from .chats import ChatMethods
from .faults import ApiError, Fault
from .media import FileMethods
from .messages import MessageMethods
from .params import MB, METHODS, Params, dumps
from .state import TOKEN_RE, BotState, Limits, World
from .updates import UpdateMethods

__all__ = ["SandboxServer", "Fault", "ApiError"]

# an error page as nginx writes it (502 when it cannot reach its upstream)
NGINX_PAGE = ("<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n"
              "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


class SandboxServer(ChatMethods, MessageMethods, UpdateMethods, FileMethods):
    """The sandbox Bot API server. ``base_url = await server.start()``; ``await server.stop()``.

    limits: a ``Limits`` or dict of its fields (``{"enabled": False}`` switches flood control off).
    privacy_mode: like BotFather's group privacy (bots that are not admins only see commands,
    replies to them and service messages in groups).
    seed: seeds the RNG of probabilistic faults.
    webhook_backoff: (first, max) seconds between failed webhook deliveries.

    Telegram behaviours kept on purpose: editing without reply_markup removes the inline keyboard;
    text is trimmed and limits count after entity parsing in UTF-16 units; messages in a forum
    topic reply to the topic's creation message unless they reply to something else.
    """

    def __init__(self, *, limits: Limits | dict | None = None, privacy_mode: bool = True,
                 seed: int | None = None, webhook_backoff: tuple[float, float] = (0.1, 5.0),
                 webhook_timeout: float = 10.0) -> None:
        self._initial_limits = limits
        self.limits = self._make_limits(limits)
        self.privacy_mode = privacy_mode
        self.world = World(privacy_mode)
        self.faults: list[Fault] = []
        self.rng = random.Random(seed)
        self.webhook_backoff = webhook_backoff
        self.webhook_timeout = webhook_timeout
        self.base_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._closing = asyncio.Event()
        self.app = self._make_app()

    @staticmethod
    def _make_limits(limits: Limits | dict | None) -> Limits:
        if isinstance(limits, Limits):
            return Limits(**limits.as_dict())
        made = Limits()
        made.update(limits or {})
        return made

    def restore_limits(self) -> None:
        """Back to the limits the server started with."""
        self.limits = self._make_limits(self._initial_limits)

    def _make_app(self) -> web.Application:
        from .control import add_control_routes

        app = web.Application(client_max_size=60 * MB)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.base_url = f"http://{host}:{self._runner.addresses[0][1]}"
        return self.base_url

    async def stop(self) -> None:
        self._closing.set()
        for bot in self.world.bots.values():
            bot.notify()
            if bot.webhook_task:
                bot.webhook_task.cancel()
        if self._http:
            await self._http.close()
        if self._runner:
            await self._runner.cleanup()

    def reset(self) -> None:
        """Forget everything (people, chats, bots, updates, faults, statistics) and restore the limits."""
        for bot in self.world.bots.values():
            bot.webhook = None
            bot.notify()
            if bot.webhook_task:
                bot.webhook_task.cancel()
        self.world = World(self.privacy_mode, first_seq=self.world.seq)
        self.faults.clear()
        self.restore_limits()

    def bot_by_id(self, bot_id: int | None) -> BotState | None:
        return next((b for b in self.world.bots.values() if b.id == bot_id), None)

    # -------------------------------------------------------- HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["method"]
        if not TOKEN_RE.fullmatch(token):
            return self._reply(ApiError(401, "Unauthorized").body(), 401)
        name, method = METHODS.get(name.lower(), (name, None))
        bot = self.world.bot(token)
        record = {"time": time.time(), "bot_id": bot.id, "method": name, "params": {}, "status": None}
        self.world.calls.append(record)
        bot.calls[name] += 1
        try:
            p = await Params.read(request)
        except ApiError as e:
            return self._finish(bot, record, e.body(), e.code)
        record["params"] = p.summary()
        fault = self._fire_fault(bot, name, p)
        kind = fault.kind if fault else None
        if kind == "drop_before":
            return self._drop(request, record)
        if kind == "reset":
            return self._reset(request, record)
        if kind == "html":
            record["status"] = fault.status
            return web.Response(status=fault.status, content_type="text/html",
                                text=NGINX_PAGE.format(f"{fault.status} {HTTPStatus(fault.status).phrase}"))
        try:
            if kind == "timeout":
                await self._hold(fault)
                if fault.then == "never":
                    return self._drop(request, record)
            if fault and (error := fault.error()):
                raise error
            if kind == "answer":
                return self._finish(bot, record, {"ok": True, "result": fault.result}, 200)
            if method is None:
                raise ApiError(404, "Not Found")
            result = method(self, bot, p)
            if inspect.isawaitable(result):
                result = await result
            body, status = {"ok": True, "result": result}, 200
        except ApiError as e:
            body, status = e.body(), e.code
        response = self._finish(bot, record, body, status)
        if kind == "slow":
            await self._hold(fault)
        if kind == "truncated":
            response.body = response.body[:len(response.body) // 2]
        return self._drop(request, record) if kind == "drop_after" else response

    def _finish(self, bot: BotState, record: dict, body: dict, status: int) -> web.Response:
        record["status"] = status
        if not body["ok"]:
            record["description"] = body["description"]
        bot.statuses[status] += 1
        return self._reply(body, status)

    @staticmethod
    def _reply(body: dict, status: int) -> web.Response:
        return web.json_response(body, status=status, dumps=dumps)

    @staticmethod
    def _drop(request: web.Request, record: dict) -> web.Response:
        """Close the connection without answering (the returned response is never written)."""
        record["status"] = "dropped"
        if request.transport:  # None when the client already gave up
            request.transport.close()
        return web.Response()

    @staticmethod
    def _reset(request: web.Request, record: dict) -> web.Response:
        """Reset the connection (RST, as a crashed proxy or a firewall does) without answering."""
        record["status"] = "reset"
        if request.transport:
            sock = request.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
            request.transport.abort()
        return web.Response()

    async def _hold(self, fault: Fault) -> None:
        try:  # "never" holds until the server stops
            await asyncio.wait_for(self._closing.wait(), None if fault.then == "never" else fault.seconds)
        except asyncio.TimeoutError:
            pass

    def _fire_fault(self, bot: BotState, method: str, p: Params) -> Fault | None:
        chat_id = p.values.get("chat_id")
        for fault in self.faults:
            if not fault.matches(method, chat_id):
                continue
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
            elif self.rng.random() >= fault.rate:
                continue
            self.world.faults_fired.append({"time": time.time(), "bot_id": bot.id, "method": method,
                                            "chat_id": chat_id, "kind": fault.kind})
            return fault
        return None
