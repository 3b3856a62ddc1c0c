"""A faithful fake of the Telegram Bot API over real HTTP.

Bots connect to it exactly as to a self-hosted Bot API server (``{base}/bot{token}/{method}``,
files under ``{base}/file/bot{token}/{path}``); tests and the demo act as people through the
control API (``{base}/control/...``, see ``control.py``).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import inspect
import json
import mimetypes
import random
import re
import socket
import struct
import time
import zlib
from http import HTTPStatus

import aiohttp
from aiohttp import web

from . import formatting
from .faults import ApiError, Fault, bad, forbidden
from .state import MEMBER_STATUSES, TOKEN_RE, BotState, Chat, Limits, Msg, User, World, member_json, now

__all__ = ["SandboxServer", "Fault", "ApiError"]

MB = 1024 * 1024
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message")
WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first")
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
          "chat_administrators", "chat_member"}
# an error page as nginx writes it (502 when it cannot reach its upstream)
NGINX_PAGE = ("<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n"
              "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
LINK_PREVIEW_FLAGS = ("is_disabled", "prefer_small_media", "prefer_large_media", "show_above_text")
_dumps = functools.partial(json.dumps, ensure_ascii=False)


# ---------------------------------------------------------------- request parameters

class Params:
    """Bot API parameters from the query string and a JSON, urlencoded or multipart body.

    Form encodings carry every value as a string (objects JSON-encoded), so getters coerce.
    """

    def __init__(self, values: dict, files: dict[str, tuple[str, bytes, str]]) -> None:
        self.values, self.files = values, files

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        values: dict = dict(request.query)
        files: dict[str, tuple[str, bytes, str]] = {}
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad("can't parse JSON object")
                values.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        files[key] = (value.filename, value.file.read(), value.content_type)
                    else:
                        values[key] = value if isinstance(value, str) else bytes(value).decode()
        return cls(values, files)

    def _get(self, name: str, required: bool):
        value = self.values.get(name)
        if (value is None or value == "") and required:
            raise bad(f"{name} is empty")
        return None if value == "" else value

    def string(self, name: str, required: bool = False) -> str | None:
        value = self._get(name, required)
        return None if value is None else str(value)

    def integer(self, name: str, default: int | None = None, required: bool = False) -> int | None:
        value = self._get(name, required)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def number(self, name: str, default: float | None = None, required: bool = False) -> float | None:
        value = self._get(name, required)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        return self.values.get(name) in (True, 1, "true", "True", "1")

    def obj(self, name: str, required: bool = False):
        value = self._get(name, required)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self._get(name, True)
        if isinstance(value, str) and value.startswith("@"):
            return value
        return self.integer(name)

    def input_file(self, name: str) -> tuple[str, bytes, str] | str | None:
        """An upload (filename, bytes, content type) or a file_id/URL string."""
        if name in self.files:  # PTB names the part after the parameter
            return self.files[name]
        value = self.string(name)
        if value and value.startswith("attach://"):  # aiogram refers to a separately named part
            if value[9:] not in self.files:
                raise bad(f"can't find attached file \"{value[9:]}\"")
            return self.files[value[9:]]
        return value

    def summary(self) -> dict:
        files = {k: f"<file {name!r}, {len(data)} bytes>" for k, (name, data, _) in self.files.items()}
        return {**self.values, **files}


# ---------------------------------------------------------------- images

def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG, or None when it is not a readable image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return None


def make_png(width: int, height: int, rgb: tuple[int, int, int] = (70, 130, 180)) -> bytes:
    """A real solid-colour PNG, so bots can open the photos that sandbox users send."""
    def chunk(tag: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))
    raw = (b"\x00" + bytes(rgb) * width) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------- the server

METHODS: dict[str, tuple[str, callable]] = {}  # lower-case name -> (name, handler); Telegram ignores case


def api(name: str):
    def register(fn):
        METHODS[name.lower()] = (name, fn)
        return fn
    return register


class SandboxServer:
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
        return web.json_response(body, status=status, dumps=_dumps)

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

    async def _handle_file(self, request: web.Request) -> web.Response:
        rec = self.world.paths.get(request.match_info["path"])
        if rec is None or not TOKEN_RE.fullmatch(request.match_info["token"]):
            return web.Response(status=404, text="Not Found")
        return web.Response(body=rec.content(), content_type=rec.obj.get("mime_type", "application/octet-stream"))

    # -------------------------------------------------------- shared helpers

    def _chat(self, bot: BotState, p: Params, send: bool = True) -> Chat:
        """The chat named by chat_id, checking the bot may act there like Telegram does."""
        chat = self.world.find_chat(bot, p.chat_id())
        if chat is None:
            raise bad("chat not found")
        if chat.is_group:
            status = chat.bots.get(bot.id)
            if status == "kicked":
                raise forbidden(f"bot was kicked from the {chat.type} chat")
            if status == "left":
                raise forbidden(f"bot is not a member of the {chat.type} chat")
            if status is None:
                raise bad("chat not found")
        elif send:
            if bot.id in chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if bot.id not in chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
        return chat

    def _slot(self, bot: BotState, chat: Chat) -> None:
        wait = bot.limiter.acquire(self.limits, chat, time.monotonic())
        if wait:
            bot.rate_limited += 1
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        bot.sent_at.append(time.time())

    @staticmethod
    def _formatted(p: Params, field: str, entities_field: str, limit: int, required: bool) -> dict:
        """``{field: text, entities_field: [...]}`` after parse_mode parsing, validated like Telegram."""
        raw = p.string(field)
        if raw is None:
            if required:
                raise bad("message text is empty")
            return {}
        entities = p.obj(entities_field)
        if entities is None:
            try:
                raw, entities = formatting.parse(raw, p.string("parse_mode"))
            except formatting.FormatError as e:
                raise bad(f"can't parse entities: {e}") from None
            except ValueError:
                raise bad("unsupported parse_mode") from None
        text, entities = formatting.finalize(raw, entities)
        entities = formatting.with_detected(text, entities)
        if not text:
            if required:
                raise bad("message text is empty")
            return {}
        if formatting.utf16_len(text) > limit:
            raise bad("message is too long" if field == "text" else "message caption is too long")
        return {field: text, **({entities_field: entities} if entities else {})}

    @staticmethod
    def _link_preview(p: Params) -> dict:
        """``{"link_preview_options": ...}`` as Telegram returns it on a message whose preview options the
        bot changed (only the options set), or nothing."""
        options = p.obj("link_preview_options")
        if options is None and p.flag("disable_web_page_preview"):
            options = {"is_disabled": True}
        if options is None:
            return {}
        if not isinstance(options, dict):
            raise bad("can't parse link preview options JSON object")
        kept = {k: v for k, v in options.items()
                if (k == "url" and v) or (k in LINK_PREVIEW_FLAGS and v is True)}
        return {"link_preview_options": kept} if kept else {}

    @staticmethod
    def _markup(p: Params) -> dict | None:
        markup = p.obj("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return markup
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad("can't parse inline keyboard markup JSON object: Field \"inline_keyboard\" must be an Array")
        for button in (b for row in rows for b in row):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad("can't parse inline keyboard button: Field \"text\" must be of type String")
            if len(button) == 1:
                raise bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                raise bad("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                raise bad("BUTTON_URL_INVALID")
        return markup if any(rows) else None

    def _post(self, bot: BotState, chat: Chat, p: Params, content) -> Msg:
        """Validate thread/reply/markup, take a rate-limit slot, then store the bot's message."""
        reply_to = self._reply_to(chat, p)
        thread = p.integer("message_thread_id")
        if thread is not None and thread not in chat.topics:
            raise bad("message thread not found")
        if thread is None and reply_to is not None:
            thread = chat.messages[reply_to].thread_id  # replies land in the replied message's topic
        markup = self._markup(p)
        self._slot(bot, chat)
        msg = chat.add(sender=bot.user, content=content() if callable(content) else content, bot_id=bot.id,
                       thread_id=thread, reply_to=reply_to, reply_markup=markup)
        self.log_message("message", msg)
        return msg

    @staticmethod
    def _reply_to(chat: Chat, p: Params) -> int | None:
        params = p.obj("reply_parameters") or {}
        message_id = params.get("message_id", p.integer("reply_to_message_id"))
        if message_id is None:
            return None
        if chat.live(int(message_id)) is None:
            if params.get("allow_sending_without_reply") or p.flag("allow_sending_without_reply"):
                return None
            raise bad("message to be replied not found")
        return int(message_id)

    def log_message(self, type_: str, msg: Msg) -> int:
        return self.world.log(type_, bot_id=msg.bot_id or msg.chat.bot_id, chat_id=msg.chat.id,
                              message_id=msg.id, thread_id=msg.thread_id, from_bot=msg.bot_id is not None,
                              message=msg.view())

    def deliver(self, msg: Msg, kind: str = "message") -> None:
        """Queue a people's message as an update for every bot that would see it."""
        chat = msg.chat
        if not chat.is_group:
            self.world.emit(self.bot_by_id(chat.bot_id), kind, msg.api())
            return
        for bot in list(self.world.bots.values()):
            status = chat.bots.get(bot.id)
            if status not in ("member", "administrator") or bot.id == msg.bot_id:
                continue
            if bot.privacy and status != "administrator" and not self._addressed(bot, msg):
                continue
            self.world.emit(bot, kind, msg.api())

    @staticmethod
    def _addressed(bot: BotState, msg: Msg) -> bool:
        """What a bot in privacy mode still receives: commands, replies to it, service messages."""
        if msg.kind in ("forum_topic_created", "new_chat_members", "left_chat_member"):
            return True
        target = msg.reply_target()
        if target and target.bot_id == bot.id:
            return True
        first = next(iter(msg.entities), None)
        if first and first["type"] == "bot_command" and first["offset"] == 0:
            command = formatting.utf16_slice(msg.text, 0, first["length"])
            return "@" not in command or command.split("@", 1)[1].lower() == bot.username.lower()
        return False

    def set_bot_status(self, bot: BotState, chat: Chat, new: str, by: User | None) -> int | None:
        """Change the bot's membership; emits my_chat_member and the join/leave service message."""
        old = chat.bots.get(bot.id, "left")
        if old == new:
            return None
        chat.bots[bot.id] = new
        actor = by.json() if by else bot.user
        self.world.emit(bot, "my_chat_member", {
            "chat": chat.json(), "from": actor, "date": now(),
            "old_chat_member": member_json(bot.user, old, chat), "new_chat_member": member_json(bot.user, new, chat)})
        seq = self.world.log("my_chat_member", bot_id=bot.id, chat_id=chat.id, old=old, new=new,
                             user_id=by.id if by else None)
        was_in, is_in = old in ("member", "administrator"), new in ("member", "administrator")
        if was_in != is_in:
            content = {"new_chat_members": [bot.user]} if is_in else {"left_chat_member": bot.user}
            msg = chat.add(sender=actor, content=content, bot_id=None if by else bot.id)
            self.log_message("message", msg)
            self.deliver(msg)
        return seq

    def create_topic(self, chat: Chat, name: str, icon_color: int, sender: dict, bot_id: int | None) -> dict:
        msg = chat.add(sender=sender, content={"forum_topic_created": {"name": name, "icon_color": icon_color}},
                       bot_id=bot_id)
        msg.thread_id = msg.id  # a topic is identified by the id of its creation message
        chat.topics[msg.id] = topic = {"message_thread_id": msg.id, "name": name, "icon_color": icon_color}
        self.log_message("message", msg)
        self.deliver(msg)
        return topic

    def photo_sizes(self, width: int, height: int, data: bytes | None, size: int) -> list[dict]:
        """PhotoSize list like Telegram's thumbnails: up to 90/320/800 px and the photo (≤1280 px)."""
        longest = max(width, height)
        sides = [s for s in (90, 320, 800) if s < longest] + [min(longest, 1280)]
        group: list[dict] = []
        for side in sides:
            scale = side / longest
            approx = size if side == sides[-1] else max(100, int(size * scale * scale))
            rec = self.world.add_file("photo", approx, {"width": max(1, round(width * scale)),
                                                        "height": max(1, round(height * scale))}, data, "jpg")
            rec.group = group
            group.append(rec.obj)
        return group

    def new_file(self, kind: str, filename: str | None, data: bytes | None, size: int, extra: dict) -> dict:
        ext = (filename or "").rpartition(".")[2] if filename and "." in filename else \
            {"voice": "oga", "video": "mp4", "sticker": "webp"}.get(kind, "bin")
        obj = {"document": {"file_name": filename or "file.bin"},
               "voice": {"duration": 1, "mime_type": "audio/ogg"},
               "video": {"width": 640, "height": 360, "duration": 1, "mime_type": "video/mp4"},
               "sticker": {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False},
               }[kind]
        if kind == "document":
            obj["mime_type"] = mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
        obj.update({k: v for k, v in extra.items() if v is not None})
        return self.world.add_file(kind, size, obj, data, ext).obj

    # -------------------------------------------------------- updates & webhook

    @api("getUpdates")
    async def get_updates(self, bot: BotState, p: Params):
        if bot.webhook:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset, limit = p.integer("offset"), min(max(p.integer("limit", 100), 1), 100)
        timeout = max(0.0, p.number("timeout", 0))
        if (allowed := p.obj("allowed_updates")) is not None:
            bot.allowed = set(allowed)
        if offset is not None:  # confirms (forgets) earlier updates
            bot.updates = bot.updates[offset:] if offset < 0 else \
                [u for u in bot.updates if u["update_id"] >= offset]
        if bot.poller:  # the newer request wins, the older one is answered with a conflict
            bot.poller["terminated"] = True
        bot.poller = me = {"terminated": False}
        bot.notify()
        deadline = time.monotonic() + timeout
        try:
            while not bot.updates and not me["terminated"] and not self._closing.is_set():
                signal, remaining = bot.wakeup, deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(signal.wait(), remaining)
                except asyncio.TimeoutError:
                    break
        finally:
            if bot.poller is me:
                bot.poller = None
        if bot.webhook:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if me["terminated"]:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                "make sure that only one bot instance is running")
        return bot.updates[:limit]

    @api("setWebhook")
    def set_webhook(self, bot: BotState, p: Params):
        url = p.string("url")
        if not url:
            return self.delete_webhook(bot, p)
        if not re.match(r"https?://\S+$", url):
            raise bad("bad webhook: invalid webhook URL specified")
        secret = p.string("secret_token")
        if secret is not None and not re.fullmatch(r"[\w-]{1,256}", secret):
            raise bad("secret token contains unallowed characters")
        if (allowed := p.obj("allowed_updates")) is not None:
            bot.allowed = set(allowed)
        if p.flag("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook = {"url": url, "secret_token": secret, "max_connections": p.integer("max_connections", 40)}
        bot.webhook_error = None
        if bot.poller:
            bot.poller["terminated"] = True
        bot.notify()
        if not bot.webhook_task or bot.webhook_task.done():
            bot.webhook_task = asyncio.create_task(self._deliver_webhook(bot))
        return True

    @api("deleteWebhook")
    def delete_webhook(self, bot: BotState, p: Params):
        bot.webhook = None
        if p.flag("drop_pending_updates"):
            bot.updates.clear()
        bot.notify()
        return True

    @api("getWebhookInfo")
    def get_webhook_info(self, bot: BotState, p: Params):
        hook = bot.webhook or {}
        info = {"url": hook.get("url", ""), "has_custom_certificate": False, "pending_update_count": len(bot.updates)}
        if hook:
            info["max_connections"] = hook["max_connections"]
            if bot.allowed:
                info["allowed_updates"] = sorted(bot.allowed)
        if bot.webhook_error:
            info["last_error_date"], info["last_error_message"] = bot.webhook_error
        return info

    async def _deliver_webhook(self, bot: BotState) -> None:
        """POST queued updates in order; an update leaves the queue only after a 2xx answer."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        backoff = self.webhook_backoff[0]
        while bot.webhook and not self._closing.is_set():
            signal = bot.wakeup
            if not bot.updates:
                await signal.wait()
                continue
            hook, update = bot.webhook, bot.updates[0]
            headers = {"Content-Type": "application/json"}
            if hook["secret_token"]:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
            try:
                async with self._http.post(hook["url"], data=_dumps(update).encode(), headers=headers,
                                           timeout=aiohttp.ClientTimeout(total=self.webhook_timeout)) as resp:
                    ok = 200 <= resp.status < 300
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except asyncio.TimeoutError:
                ok, error = False, "Read timeout expired"
            except (aiohttp.ClientError, OSError) as e:
                ok, error = False, f"Connection failed: {type(e).__name__}"
            if ok:
                if bot.updates and bot.updates[0] is update:
                    bot.updates.pop(0)
                backoff = self.webhook_backoff[0]
            else:
                bot.webhook_error = (now(), error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.webhook_backoff[1])

    # -------------------------------------------------------- identity & chats

    @api("getMe")
    def get_me(self, bot: BotState, p: Params):
        return {**bot.user, "can_join_groups": True, "can_read_all_group_messages": not bot.privacy,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    @api("getChat")
    def get_chat(self, bot: BotState, p: Params):
        chat = self._chat(bot, p, send=False)
        return {**chat.json(), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts",
                                                      "premium_subscription", "gifts_from_channels"), False)}

    @api("getChatMember")
    def get_chat_member(self, bot: BotState, p: Params):
        chat = self._chat(bot, p, send=False)
        user_id = p.integer("user_id", required=True)
        if user_id == bot.id:
            return member_json(bot.user, chat.bots.get(bot.id, "member"), chat)
        if other := self.bot_by_id(user_id):
            return member_json(other.user, chat.bots.get(other.id, "left"), chat)
        user = self.world.users.get(user_id)
        if user is None or (not chat.is_group and user is not chat.user):
            raise bad("user not found")
        return member_json(user.json(), chat.members.get(user_id, "left") if chat.is_group else "member", chat)

    @api("getChatAdministrators")
    def get_chat_administrators(self, bot: BotState, p: Params):
        chat = self._chat(bot, p, send=False)
        if not chat.is_group:
            raise bad("there are no administrators in the private chat")
        admins = [member_json(self.world.users[uid].json(), status, chat)
                  for uid, status in chat.members.items() if status in ("creator", "administrator")]
        return admins + [member_json(b.user, "administrator", chat) for b in self.world.bots.values()
                         if chat.bots.get(b.id) == "administrator"]

    @api("getChatMemberCount")
    def get_chat_member_count(self, bot: BotState, p: Params):
        chat = self._chat(bot, p, send=False)
        if not chat.is_group:
            return 2
        return (sum(s in MEMBER_STATUSES for s in chat.members.values())
                + sum(s in MEMBER_STATUSES for s in chat.bots.values()))

    @api("leaveChat")
    def leave_chat(self, bot: BotState, p: Params):
        chat = self._chat(bot, p, send=False)
        if not chat.is_group:
            raise bad("chat member status can't be changed in private chats")
        self.set_bot_status(bot, chat, "left", None)
        return True

    @api("createForumTopic")
    def create_forum_topic(self, bot: BotState, p: Params):
        chat = self._chat(bot, p)
        if not chat.is_forum:
            raise bad("the chat is not a forum")
        if chat.bots.get(bot.id) != "administrator":
            raise bad("not enough rights to create a topic")
        name = p.string("name", required=True)
        if formatting.utf16_len(name) > 128:
            raise bad("TOPIC_TITLE_INVALID")
        return self.create_topic(chat, name, p.integer("icon_color", 7322096), bot.user, bot.id)

    # -------------------------------------------------------- commands

    def _command_key(self, bot: BotState, p: Params) -> tuple[str, str]:
        scope = p.obj("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in SCOPES:
            raise bad("unsupported bot command scope")
        if "chat_id" in scope and self.world.find_chat(bot, scope["chat_id"]) is None:
            raise bad("chat not found")
        return json.dumps(scope, sort_keys=True), p.string("language_code") or ""

    @api("setMyCommands")
    def set_my_commands(self, bot: BotState, p: Params):
        commands = p.obj("commands", required=True)
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("too many commands" if isinstance(commands, list) else "can't parse commands JSON object")
        for c in commands:
            if not isinstance(c, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= formatting.utf16_len(str(c.get("description", ""))) <= 256:
                raise bad("command description must be non-empty")
        key = self._command_key(bot, p)
        if commands:
            bot.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        else:
            bot.commands.pop(key, None)
        self.world.log("commands", bot_id=bot.id, scope=json.loads(key[0]), language_code=key[1], commands=commands)
        return True

    @api("getMyCommands")
    def get_my_commands(self, bot: BotState, p: Params):
        return bot.commands.get(self._command_key(bot, p), [])

    @api("deleteMyCommands")
    def delete_my_commands(self, bot: BotState, p: Params):
        bot.commands.pop(self._command_key(bot, p), None)
        return True

    # -------------------------------------------------------- sending

    @api("sendMessage")
    def send_message(self, bot: BotState, p: Params):
        chat = self._chat(bot, p)
        content = self._formatted(p, "text", "entities", 4096, required=True)
        return self._post(bot, chat, p, {**content, **self._link_preview(p)}).api()

    def _send_media(self, bot: BotState, p: Params, kind: str):
        chat = self._chat(bot, p)
        caption = {} if kind == "sticker" else self._formatted(p, "caption", "caption_entities", 1024, False)
        value = p.input_file(kind)
        if value is None:
            raise bad(f"there is no {kind} in the request")
        if isinstance(value, str):
            rec = self.world.files.get(value)
            if rec is None:
                raise bad("wrong file identifier/HTTP URL specified")
            if rec.kind != kind:
                raise bad(f"can't use file of type {rec.kind.title()} as {kind.title()}")
            media = rec.group or rec.obj
            return self._post(bot, chat, p, {kind: media, **caption}).api()
        filename, data, _ = value
        if len(data) > 50 * MB:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo":
            if len(data) > 10 * MB:
                raise bad("PHOTO_SAVE_FILE_INVALID")
            if (size := image_size(data)) is None:
                raise bad("IMAGE_PROCESS_FAILED")
            return self._post(bot, chat, p, lambda: {"photo": self.photo_sizes(*size, data, len(data)),
                                                     **caption}).api()
        extra = {"duration": p.integer("duration"), "width": p.integer("width"), "height": p.integer("height")}
        if kind == "sticker":
            extra["emoji"] = p.string("emoji")
        return self._post(bot, chat, p, lambda: {kind: self.new_file(kind, filename, data, len(data), extra),
                                                 **caption}).api()

    @api("sendPhoto")
    def send_photo(self, bot: BotState, p: Params):
        return self._send_media(bot, p, "photo")

    @api("sendDocument")
    def send_document(self, bot: BotState, p: Params):
        return self._send_media(bot, p, "document")

    @api("sendVoice")
    def send_voice(self, bot: BotState, p: Params):
        return self._send_media(bot, p, "voice")

    @api("sendVideo")
    def send_video(self, bot: BotState, p: Params):
        return self._send_media(bot, p, "video")

    @api("sendSticker")
    def send_sticker(self, bot: BotState, p: Params):
        return self._send_media(bot, p, "sticker")

    @api("sendLocation")
    def send_location(self, bot: BotState, p: Params):
        chat = self._chat(bot, p)
        lat, lon = p.number("latitude", required=True), p.number("longitude", required=True)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad("LOCATION_INVALID")
        return self._post(bot, chat, p, {"location": {"latitude": lat, "longitude": lon}}).api()

    def _source(self, bot: BotState, p: Params, action: str) -> Msg:
        source_chat = self.world.find_chat(bot, p.chat_id("from_chat_id"))
        if source_chat is None:
            raise bad("chat not found")
        source = source_chat.live(p.integer("message_id", required=True))
        if source is None:
            raise bad(f"message to {action} not found")
        if source.kind in ("forum_topic_created", "new_chat_members", "left_chat_member"):
            raise bad("message can't be copied" if action == "copy" else "message can't be forwarded")
        return source

    @api("copyMessage")
    def copy_message(self, bot: BotState, p: Params):
        chat = self._chat(bot, p)
        source = self._source(bot, p, "copy")
        content = dict(source.content)
        if "text" not in content and p.string("caption") is not None:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._formatted(p, "caption", "caption_entities", 1024, False))
        return {"message_id": self._post(bot, chat, p, content).id}

    @api("forwardMessage")
    def forward_message(self, bot: BotState, p: Params):
        chat = self._chat(bot, p)
        source = self._source(bot, p, "forward")
        origin = {"type": "user", "sender_user": source.sender, "date": source.date}
        return self._post(bot, chat, p, {"forward_origin": origin, **source.content}).api()

    @api("sendChatAction")
    def send_chat_action(self, bot: BotState, p: Params):
        chat = self._chat(bot, p)
        action = p.string("action", required=True)
        if action not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        thread = p.integer("message_thread_id")
        if thread is not None and thread not in chat.topics:
            raise bad("message thread not found")
        self.world.log("chat_action", bot_id=bot.id, chat_id=chat.id, thread_id=thread, action=action)
        return True

    # -------------------------------------------------------- editing & deleting

    def _own_message(self, bot: BotState, p: Params) -> Msg:
        if p.string("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = self._chat(bot, p)
        msg = chat.live(p.integer("message_id", required=True))
        if msg is None or msg.bot_id != bot.id:
            raise bad("message to edit not found")
        return msg

    def _edit(self, bot: BotState, msg: Msg, content: dict, markup: dict | None):
        if content == msg.content and markup == msg.reply_markup:
            raise bad(NOT_MODIFIED)
        if msg.chat.is_group:
            self._slot(bot, msg.chat)
        msg.content, msg.reply_markup = content, markup
        msg.edits += 1
        msg.edit_date = now()
        self.log_message("edited", msg)
        return msg.api()

    @api("editMessageText")
    def edit_message_text(self, bot: BotState, p: Params):
        msg = self._own_message(bot, p)
        if "text" not in msg.content:
            raise bad("there is no text in the message to edit")
        text = self._formatted(p, "text", "entities", 4096, required=True)
        rest = {k: v for k, v in msg.content.items() if k not in ("text", "entities", "link_preview_options")}
        # no reply_markup removes the keyboard, no link_preview_options the options
        return self._edit(bot, msg, {**rest, **text, **self._link_preview(p)}, self._markup(p))

    @api("editMessageCaption")
    def edit_message_caption(self, bot: BotState, p: Params):
        msg = self._own_message(bot, p)
        if "text" in msg.content or msg.kind in ("location", "sticker"):
            raise bad("there is no caption in the message to edit")
        caption = self._formatted(p, "caption", "caption_entities", 1024, required=False)
        rest = {k: v for k, v in msg.content.items() if k not in ("caption", "caption_entities")}
        return self._edit(bot, msg, {**rest, **caption}, self._markup(p))

    @api("editMessageReplyMarkup")
    def edit_message_reply_markup(self, bot: BotState, p: Params):
        msg = self._own_message(bot, p)
        return self._edit(bot, msg, msg.content, self._markup(p))

    @api("deleteMessage")
    def delete_message(self, bot: BotState, p: Params):
        chat = self._chat(bot, p, send=False)
        msg = chat.live(p.integer("message_id", required=True))
        if msg is None:
            raise bad("message to delete not found")
        if msg.bot_id != bot.id and chat.is_group and chat.bots.get(bot.id) != "administrator":
            raise bad("message can't be deleted")
        msg.deleted = True
        self.world.log("deleted", bot_id=bot.id, chat_id=chat.id, message_id=msg.id, thread_id=msg.thread_id)
        return True

    @api("answerCallbackQuery")
    def answer_callback_query(self, bot: BotState, p: Params):
        query = self.world.callbacks.get(p.string("callback_query_id", required=True))
        if query is None or query["bot_id"] != bot.id or query["answered"]:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = p.string("text")
        if text and formatting.utf16_len(text) > 200:
            raise bad("MESSAGE_TOO_LONG")
        query.update(answered=True, text=text, show_alert=p.flag("show_alert"), url=p.string("url"),
                     cache_time=p.integer("cache_time", 0))
        self.world.log("callback_answer", bot_id=bot.id, chat_id=query["chat_id"], message_id=query["message_id"],
                       callback_query_id=query["id"], text=text, show_alert=query["show_alert"])
        return True

    # -------------------------------------------------------- files

    @api("getFile")
    def get_file(self, bot: BotState, p: Params):
        rec = self.world.files.get(p.string("file_id", required=True))
        if rec is None:
            raise bad("invalid file_id")
        if rec.size > 20 * MB:
            raise bad("file is too big")
        return {"file_id": rec.file_id, "file_unique_id": rec.unique_id, "file_size": rec.size, "file_path": rec.path}

    # -------------------------------------------------------- content made for sandbox users

    def user_file(self, kind: str, spec: dict) -> dict | list[dict]:
        """Media a sandbox user sends: real bytes from ``content_b64``, a generated PNG, or filler of ``file_size``."""
        data = base64.b64decode(spec["content_b64"]) if spec.get("content_b64") else None
        if kind == "photo":
            width, height = (data and image_size(data)) or (spec.get("width", 1280), spec.get("height", 960))
            if data is None and not spec.get("file_size"):
                data = make_png(width, height)
            return self.photo_sizes(width, height, data, spec.get("file_size") or len(data))
        size = spec.get("file_size") or (len(data) if data is not None else 1024)
        extra = {k: v for k, v in spec.items() if k not in ("content_b64", "file_size", "file_name")}
        return self.new_file(kind, spec.get("file_name"), data, size, extra)
