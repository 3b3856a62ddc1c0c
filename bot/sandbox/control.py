"""Control API of the sandbox (JSON under ``{base}/control/``): act as people, read what bots did.

Every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "description": ...}`` (HTTP 4xx).
Arguments come from the query string and/or a JSON body. ``token`` picks the bot where it
matters and may be left out while only one bot is known.

    POST users {first_name, last_name?, username?, language_code?, id?}        -> User
    POST groups {title, members?, admins?, creator?, forum?, type?, bot?}      -> chat + members/bots/topics
    POST topics {chat_id, name, icon_color?, user_id?}                         -> ForumTopic
    POST members {chat_id, user_id, status}        a person joins/leaves       -> chat
    POST bot_status {chat_id, status, user_id?}    add/kick the bot            -> {seq}
    POST block {user_id, blocked?}                 block/unblock the bot       -> {seq}
    POST send {user_id, chat_id?, thread_id?, reply_to?, text | photo | document | voice | video | sticker
               | location | contact, caption?, entities?, link_preview_options?}         -> {message, seq}
    POST press {user_id, chat_id?, message_id, text? | data?, forge?}          -> {callback_query_id, data, seq}
    GET  callbacks/{id}                                                        -> the query and its answer
    GET  messages?chat_id&thread_id?   GET message?chat_id&message_id          -> message views
    GET  events?after&timeout&limit    (long poll)                             -> {events, last_seq}
    GET  calls?method?   GET stats   GET commands   GET|POST bot
    GET|POST|DELETE limits   GET|POST|DELETE faults   POST reset
"""

from __future__ import annotations

import inspect
import json
import secrets
from collections import Counter
from dataclasses import asdict

from aiohttp import web

from . import formatting
from .faults import Fault
from .state import MEMBER_STATUSES, TOKEN_RE, BotState, Chat, User, member_json, now

ROUTES: list[tuple[str, str, callable]] = []


class ControlError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status


def route(method: str, path: str):
    def register(fn):
        ROUTES.append((method, "/control/" + path, fn))
        return fn
    return register


def add_control_routes(app: web.Application, server) -> None:
    control = Control(server)
    for method, path, fn in ROUTES:
        app.router.add_route(method, path, control.wrap(fn))


def _int(args: dict, name: str, default: int | None = None) -> int | None:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be an integer") from None


def _flag(value) -> bool:
    """JSON booleans, or their spelling in a query string."""
    return value not in (None, False, 0, "", "0", "false", "False")


class Control:
    def __init__(self, server) -> None:
        self.server = server

    @property
    def world(self):
        return self.server.world

    def wrap(self, fn):
        async def handler(request: web.Request) -> web.Response:
            args = {**request.query, **request.match_info}
            try:
                if request.body_exists:
                    try:
                        body = await request.json()
                    except ValueError:
                        raise ControlError(400, "the body must be a JSON object") from None
                    if not isinstance(body, dict):
                        raise ControlError(400, "the body must be a JSON object")
                    args.update(body)
                result = fn(self, args, request.method)
                if inspect.isawaitable(result):
                    result = await result
            except ControlError as e:
                return web.json_response({"ok": False, "description": str(e)}, status=e.status)
            except ValueError as e:
                return web.json_response({"ok": False, "description": str(e)}, status=400)
            return web.json_response({"ok": True, "result": result},
                                     dumps=lambda o: json.dumps(o, ensure_ascii=False))
        return handler

    # -------------------------------------------------------- lookups

    def _bot(self, args: dict) -> BotState:
        if token := args.get("token"):
            if not TOKEN_RE.fullmatch(token):
                raise ControlError(400, "token must look like <digits>:<secret>")
            return self.world.bot(token)
        if len(self.world.bots) == 1:
            return next(iter(self.world.bots.values()))
        raise ControlError(400, f"pass token: {len(self.world.bots)} bots are known")

    def _user(self, user_id) -> User:
        user = self.world.users.get(user_id)
        if user is None:
            raise ControlError(404, f"user {user_id} not found")
        return user

    def _group(self, args: dict) -> Chat:
        chat = self.world.groups.get(_int(args, "chat_id"))
        if chat is None:
            raise ControlError(404, f"group {args.get('chat_id')} not found")
        return chat

    def _chat(self, args: dict, user: User | None = None) -> Chat:
        """A group by chat_id, else the private chat of chat_id (or ``user``) with the bot."""
        chat_id = _int(args, "chat_id")
        if chat_id in self.world.groups:
            return self.world.groups[chat_id]
        person = self.world.users.get(chat_id) if chat_id is not None else user
        if person is None:
            raise ControlError(404, f"chat {chat_id} not found")
        return self.world.private_chat(self._bot(args), person)

    @staticmethod
    def chat_view(chat: Chat) -> dict:
        return {**chat.json(), "members": {str(k): v for k, v in chat.members.items()},
                "bots": {str(k): v for k, v in chat.bots.items()}, "topics": list(chat.topics.values())}

    # -------------------------------------------------------- people and chats

    @route("POST", "users")
    def users(self, args: dict, _):
        user = self.world.new_user(args.get("first_name") or "User", id=_int(args, "id"),
                                   last_name=args.get("last_name"), username=args.get("username"),
                                   language_code=args.get("language_code"))
        return user.json()

    @route("POST", "groups")
    def groups(self, args: dict, _):
        members, admins = list(args.get("members") or []), list(args.get("admins") or [])
        creator = args.get("creator") or next(iter(admins + members), None)
        for uid in members + admins:
            self._user(uid)
        by = self._user(creator) if creator else None
        forum = _flag(args.get("forum"))
        chat = self.world.new_group(args.get("title") or "Group", args.get("type") == "supergroup" or forum,
                                    forum, args.get("username"))
        chat.members.update({uid: "member" for uid in members})
        chat.members.update({uid: "administrator" for uid in admins})
        if creator:
            chat.members[creator] = "creator"
        if (status := args.get("bot", "member")) not in (None, "none", "left"):
            self.server.set_bot_status(self._bot(args), chat, status, by)
        return self.chat_view(chat)

    @route("POST", "topics")
    def topics(self, args: dict, _):
        chat = self._group(args)
        if not chat.is_forum:
            raise ControlError(400, "the chat is not a forum")
        creator = next((uid for uid, s in chat.members.items() if s == "creator"), None)
        user = self._user(_int(args, "user_id", creator))
        return self.server.create_topic(chat, args.get("name") or "Topic", _int(args, "icon_color", 7322096),
                                        user.json(), None)

    @route("POST", "members")
    def members(self, args: dict, _):
        """A person joins (status member/administrator) or leaves (left/kicked) a group."""
        chat, user = self._group(args), self._user(_int(args, "user_id"))
        new, old = args.get("status", "member"), chat.members.get(user.id, "left")
        chat.members[user.id] = new
        for bot in self.world.bots.values():  # chat_member is opt-in and reaches admins only
            if chat.bots.get(bot.id) == "administrator":
                self.world.emit(bot, "chat_member", {
                    "chat": chat.json(), "from": user.json(), "date": now(),
                    "old_chat_member": member_json(user.json(), old, chat),
                    "new_chat_member": member_json(user.json(), new, chat)})
        was_in, is_in = old in MEMBER_STATUSES, new in MEMBER_STATUSES
        if was_in != is_in:
            msg = chat.add(sender=user.json(),
                           content={"new_chat_members": [user.json()]} if is_in else {"left_chat_member": user.json()})
            self.server.log_message("message", msg)
            self.server.deliver(msg)
        return self.chat_view(chat)

    @route("POST", "bot_status")
    def bot_status(self, args: dict, _):
        """Add the bot to a group (member/administrator) or remove it (kicked/left)."""
        chat = self._group(args)
        creator = next((uid for uid, s in chat.members.items() if s == "creator"), None)
        by = _int(args, "user_id", creator)
        seq = self.server.set_bot_status(self._bot(args), chat, args.get("status", "kicked"),
                                         self._user(by) if by else None)
        return {"seq": seq or self.world.seq}

    @route("POST", "block")
    def block(self, args: dict, _):
        """The user blocks (blocked=true, default) or unblocks the bot."""
        bot, user = self._bot(args), self._user(_int(args, "user_id"))
        blocked = _flag(args.get("blocked", True))
        if blocked == (bot.id in user.blocked):
            return {"seq": self.world.seq}
        (user.blocked.add if blocked else user.blocked.discard)(bot.id)
        chat = self.world.private_chat(bot, user)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self.world.emit(bot, "my_chat_member", {
            "chat": chat.json(), "from": user.json(), "date": now(),
            "old_chat_member": member_json(bot.user, old, chat), "new_chat_member": member_json(bot.user, new, chat)})
        return {"seq": self.world.log("my_chat_member", bot_id=bot.id, chat_id=chat.id, old=old, new=new,
                                      user_id=user.id)}

    # -------------------------------------------------------- people act

    @route("POST", "send")
    def send(self, args: dict, _):
        user = self._user(_int(args, "user_id"))
        chat = self._chat(args, user)
        if chat.is_group:
            if chat.members.get(user.id) not in MEMBER_STATUSES:
                raise ControlError(400, f"user {user.id} is not a member of chat {chat.id}")
        else:
            if chat.user is not user:
                raise ControlError(400, f"user {user.id} can only write in their own private chat with the bot")
            if chat.bot_id in user.blocked:
                raise ControlError(400, "the user has blocked the bot; unblock first")
            user.started.add(chat.bot_id)  # writing to a bot starts it
        thread, reply_to = _int(args, "thread_id"), _int(args, "reply_to")
        if thread is not None and thread not in chat.topics:
            raise ControlError(400, f"topic {thread} not found in chat {chat.id}")
        if reply_to is not None:
            if (target := chat.live(reply_to)) is None:
                raise ControlError(400, f"message {reply_to} not found")
            thread = thread or target.thread_id
        msg = chat.add(sender=user.json(), content=self._content(args), thread_id=thread, reply_to=reply_to)
        seq = self.server.log_message("message", msg)
        self.server.deliver(msg)
        return {"message": msg.view(), "seq": seq}

    def _content(self, args: dict) -> dict:
        caption = args.get("caption")
        for kind in ("photo", "document", "voice", "video", "sticker"):
            if kind in args:
                spec = args[kind] if isinstance(args[kind], dict) else {}
                if kind == "sticker":
                    spec.setdefault("emoji", "👍")
                content = {kind: self.server.user_file(kind, spec)}
                if caption:
                    content["caption"] = caption
                    if entities := args.get("caption_entities") or formatting.detect_entities(caption):
                        content["caption_entities"] = entities
                return content
        if location := args.get("location"):
            return {"location": {"latitude": float(location["latitude"]), "longitude": float(location["longitude"])}}
        if contact := args.get("contact"):  # a shared contact (the request_contact button shares one's own)
            return {"contact": {k: v for k, v in (("phone_number", str(contact["phone_number"])),
                                                  ("first_name", contact.get("first_name") or "联系人"),
                                                  ("user_id", contact.get("user_id"))) if v is not None}}
        text = args.get("text")
        if not text:
            raise ControlError(400, "nothing to send: pass text, photo, document, voice, video, sticker or location")
        entities = args.get("entities") or formatting.detect_entities(text)
        content = {"text": text, **({"entities": entities} if entities else {})}
        # Telegram tells which link a member's message previews (or that the member turned it off)
        preview = args.get("link_preview_options")
        if preview is None and (link := formatting.first_link(text, entities)):
            preview = {"url": link}
        return {**content, **({"link_preview_options": preview} if preview else {})}

    @route("POST", "press")
    def press(self, args: dict, _):
        """Press an inline button (by ``text`` or ``data``) on a bot message; ``forge`` skips the checks."""
        user = self._user(_int(args, "user_id"))
        message_id = _int(args, "message_id")
        chat = self._chat(args, user)
        msg = chat.live(message_id)
        data = args.get("data")
        if not _flag(args.get("forge")):
            if msg is None or msg.bot_id is None:
                raise ControlError(400, f"no bot message {message_id} in chat {chat.id}")
            buttons = [b for row in (msg.reply_markup or {}).get("inline_keyboard", []) for b in row]
            button = next((b for b in buttons if (args.get("text") is not None and b["text"] == args["text"])
                           or (data is not None and b.get("callback_data") == data)), None)
            if button is None or "callback_data" not in button:
                raise ControlError(400, f"no callback button {args.get('text') or data!r} on message {message_id}; "
                                        f"buttons: {[b['text'] for b in buttons]}")
            data = button["callback_data"]
        elif data is None:
            raise ControlError(400, "a forged press needs data")
        bot = self.server.bot_by_id(msg.bot_id) if msg and msg.bot_id else self._bot(args)
        query_id = str(secrets.randbits(62))
        query = {"id": query_id, "from": user.json(), "chat_instance": str((chat.id * 2654435761 + bot.id) % 10**19),
                 "message": msg.api() if msg else {"chat": chat.json(), "message_id": message_id, "date": 0},
                 "data": data}
        self.world.callbacks[query_id] = {"id": query_id, "bot_id": bot.id, "user_id": user.id, "chat_id": chat.id,
                                          "message_id": message_id, "data": data, "answered": False,
                                          "text": None, "show_alert": False, "url": None}
        seq = self.world.log("callback", bot_id=bot.id, chat_id=chat.id, message_id=message_id, user_id=user.id,
                             callback_query_id=query_id, data=data)
        self.world.emit(bot, "callback_query", query)
        return {"callback_query_id": query_id, "data": data, "seq": seq}

    @route("GET", "callbacks/{id}")
    def callback(self, args: dict, _):
        query = self.world.callbacks.get(args["id"])
        if query is None:
            raise ControlError(404, f"callback query {args['id']} not found")
        return {**query, "seq": self.world.seq}  # seq: where to wait for a later answer

    # -------------------------------------------------------- reading

    @route("GET", "messages")
    def messages(self, args: dict, _):
        chat, thread = self._chat(args), _int(args, "thread_id")
        return [m.view() for m in chat.messages.values() if thread is None or m.thread_id == thread]

    @route("GET", "message")
    def message(self, args: dict, _):
        msg = self._chat(args).messages.get(_int(args, "message_id"))
        if msg is None:
            raise ControlError(404, f"message {args.get('message_id')} not found")
        return msg.view()

    @route("GET", "events")
    async def events(self, args: dict, _):
        """Events after ``after``; waits up to ``timeout`` seconds (≤ 60) for the first one."""
        timeout = min(float(args.get("timeout") or 0), 60.0)
        events = await self.world.wait_events(_int(args, "after", 0), timeout, _int(args, "limit", 1000))
        return {"events": events, "last_seq": self.world.seq}

    @route("GET", "calls")
    def calls(self, args: dict, _):
        bot_id = self._bot(args).id if args.get("token") else None
        method = (args.get("method") or "").lower()
        return [c for c in self.world.calls
                if (bot_id is None or c["bot_id"] == bot_id) and (not method or c["method"].lower() == method)]

    @route("GET", "stats")
    def stats(self, args: dict, _):
        bots = [self._bot(args)] if args.get("token") else list(self.world.bots.values())
        calls, statuses, sent = Counter(), Counter(), sorted(t for b in bots for t in b.sent_at)
        for bot in bots:
            calls.update(bot.calls)
            statuses.update(bot.statuses)
        per_second = Counter(int(t) for t in sent)
        span = sent[-1] - sent[0] if len(sent) > 1 else 0
        ids = {b.id for b in bots}
        return {"calls": dict(calls), "calls_total": sum(calls.values()),
                "responses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
                "messages_sent": len(sent), "peak_per_second": max(per_second.values(), default=0),
                "avg_per_second": round(len(sent) / span, 2) if span else float(len(sent)),
                "sent_per_second": [[s - int(sent[0]), n] for s, n in sorted(per_second.items())],
                "rate_limited": sum(b.rate_limited for b in bots),
                "paid_broadcasts": sum(b.paid_broadcasts for b in bots),
                "faults_fired": sum(f["bot_id"] in ids for f in self.world.faults_fired),
                "pending_updates": sum(len(b.updates) for b in bots)}

    @route("GET", "commands")
    def commands(self, args: dict, _):
        return [{"scope": json.loads(scope), "language_code": lang, "commands": cmds}
                for (scope, lang), cmds in self._bot(args).commands.items()]

    @route("*", "bot")
    def bot(self, args: dict, method: str):
        """The bot as the sandbox sees it; POST changes first_name, username or privacy (like BotFather)."""
        bot = self._bot(args)
        if method == "POST":
            bot.first_name = args.get("first_name", bot.first_name)
            bot.username = args.get("username", bot.username)
            if "privacy" in args:
                bot.privacy = _flag(args["privacy"])
        return {"user": bot.user, "privacy": bot.privacy, "webhook": bot.webhook,
                "webhook_error": bot.webhook_error, "pending_updates": len(bot.updates),
                "polling": bot.poller is not None}

    # -------------------------------------------------------- limits, faults, reset

    @route("*", "limits")
    def limits(self, args: dict, method: str):
        """GET shows, POST changes some fields, DELETE restores the limits the server started with."""
        if method == "DELETE":
            self.server.restore_limits()
        elif method == "POST":
            self.server.limits.update({k: v for k, v in args.items() if k != "token"})
        return self.server.limits.as_dict()

    @route("*", "faults")
    def faults(self, args: dict, method: str):
        """POST adds ``rules`` (or one rule given inline) and may ``seed`` the RNG; DELETE removes all rules."""
        if method == "DELETE":
            self.server.faults.clear()
        elif method == "POST":
            if args.get("seed") is not None:
                self.server.rng.seed(args["seed"])
            rules = args["rules"] if "rules" in args else [{k: v for k, v in args.items() if k not in ("seed", "token")}]
            try:
                self.server.faults.extend(Fault(**rule) for rule in rules)
            except TypeError as e:
                raise ControlError(400, str(e)) from None
        return {"rules": [asdict(f) for f in self.server.faults], "fired": self.world.faults_fired}

    @route("POST", "reset")
    def reset(self, args: dict, _):
        self.server.reset()
        return {"seq": self.world.seq}
