"""Async client for the sandbox control API: act as people, then wait for and read what the bot did.

    async with SandboxClient(base_url, token) as sb:
        alice = await sb.user("Alice")
        await sb.send(alice, "/start")
        reply = await sb.wait_for(alice, "Welcome")
        await sb.press(alice, reply, text="OK")

Waiting is a long poll on the server's event log. ``wait_for`` looks at events after
``sb.cursor``, which every action (send, press, block, ...) moves to the action's own event,
so a reply that arrives before ``wait_for`` is called is still found.
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any, Callable

import aiohttp

__all__ = ["SandboxClient", "SandboxError", "SbUser", "SbChat", "SbMessage"]


class SandboxError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status, self.description = status, description


@dataclass(frozen=True)
class SbUser:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    last_name: str | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SbChat:
    id: int
    type: str
    title: str | None = None
    is_forum: bool = False
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SbMessage:
    """A message as the sandbox stores it (current state when read, a snapshot inside events)."""

    id: int
    chat_id: int
    thread_id: int | None
    text: str | None            # text, or caption of media
    entities: list[dict]
    kind: str                   # text | photo | document | voice | video | sticker | location | service kinds
    from_bot: bool
    sender: dict
    reply_markup: dict | None
    reply_to: int | None
    edits: int
    deleted: bool
    raw: dict = field(repr=False)  # the Bot API Message object

    @classmethod
    def from_view(cls, view: dict) -> SbMessage:
        return cls(id=view["message_id"], chat_id=view["chat_id"], thread_id=view["thread_id"], text=view["text"],
                   entities=view["entities"], kind=view["kind"], from_bot=view["from_bot"], sender=view["from"],
                   reply_markup=view["reply_markup"], reply_to=view["reply_to"], edits=view["edits"],
                   deleted=view["deleted"], raw=view["raw"])

    @property
    def sender_id(self) -> int:
        return self.sender["id"]

    @property
    def buttons(self) -> list[list[str]]:
        """Texts of the inline keyboard, row by row."""
        return [[b["text"] for b in row] for row in (self.reply_markup or {}).get("inline_keyboard", [])]

    @property
    def button_data(self) -> dict[str, str]:
        """Inline button text -> callback_data."""
        return {b["text"]: b["callback_data"] for row in (self.reply_markup or {}).get("inline_keyboard", [])
                for b in row if "callback_data" in b}

    @property
    def keyboard(self) -> list[list[str]]:
        """Texts of a reply keyboard, row by row."""
        return [[b if isinstance(b, str) else b["text"] for b in row]
                for row in (self.reply_markup or {}).get("keyboard", [])]


def _id(x: Any) -> int | None:
    """An id from an int, SbUser, SbChat or SbMessage."""
    return x if x is None or isinstance(x, int) else x.id


def _matcher(predicate: Callable[[SbMessage], bool] | str | None) -> Callable[[SbMessage], bool]:
    if predicate is None:
        return lambda m: True
    if isinstance(predicate, str):
        return lambda m: predicate in (m.text or "")
    return predicate


class SandboxClient:
    """Client of one sandbox server, acting for the bot with ``token`` (optional while only one bot is known)."""

    def __init__(self, base_url: str, token: str | None = None, *, session: aiohttp.ClientSession | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token else None
        self.cursor = 0  # event seq of the latest action
        self._session, self._own_session = session, session is None

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session and self._own_session:
            await self._session.close()
        self._session = None

    async def _call(self, method: str, path: str, body: dict | None = None, query: dict | None = None,
                    timeout: float = 30.0):
        query = {k: str(v) for k, v in (query or {}).items() if v is not None}
        if self.token and body is None:
            query.setdefault("token", self.token)
        if body is not None:
            body = {k: v for k, v in body.items() if v is not None}
            if self.token:
                body.setdefault("token", self.token)
        status, data = await self._request(method, path, query, body, timeout)
        if not data["ok"]:
            raise SandboxError(status, data["description"])
        return data["result"]

    async def _request(self, method: str, path: str, query: dict, body: dict | None, timeout: float) -> tuple[int, dict]:
        """One control call over HTTP: (status, answer). The in-process test tier replaces only this."""
        if self._session is None:
            self._session, self._own_session = aiohttp.ClientSession(), True
        async with self._session.request(method, f"{self.base_url}/control/{path}", params=query, json=body,
                                         timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            return resp.status, await resp.json()

    def _moved(self, result: dict) -> dict:
        self.cursor = max(self.cursor, result["seq"] or 0)
        return result

    # -------------------------------------------------------- people and chats

    async def user(self, first_name: str = "User", *, last_name: str | None = None, username: str | None = None,
                   language_code: str | None = None, id: int | None = None) -> SbUser:
        data = await self._call("POST", "users", {"first_name": first_name, "last_name": last_name, "id": id,
                                                  "username": username, "language_code": language_code})
        return SbUser(data["id"], data["first_name"], data.get("username"), data.get("language_code"),
                      data.get("last_name"), data)

    async def group(self, title: str, members=(), admins=(), *, forum: bool = False, supergroup: bool = False,
                    creator=None, bot: str | None = "member", username: str | None = None) -> SbChat:
        """A group with the bot in it (``bot="administrator"``, or None to leave it out); emits my_chat_member."""
        data = await self._call("POST", "groups", {
            "title": title, "members": [_id(u) for u in members], "admins": [_id(u) for u in admins],
            "creator": _id(creator), "forum": forum, "type": "supergroup" if supergroup or forum else "group",
            "bot": bot or "none", "username": username})
        return SbChat(data["id"], data["type"], data.get("title"), data.get("is_forum", False), data)

    async def topic(self, group, name: str, *, user=None, icon_color: int | None = None) -> int:
        """Create a forum topic; returns its message_thread_id."""
        data = await self._call("POST", "topics", {"chat_id": _id(group), "name": name, "user_id": _id(user),
                                                   "icon_color": icon_color})
        return data["message_thread_id"]

    async def join(self, user, group, *, status: str = "member") -> dict:
        return await self._call("POST", "members", {"chat_id": _id(group), "user_id": _id(user), "status": status})

    async def leave(self, user, group) -> dict:
        return await self.join(user, group, status="left")

    async def add_bot(self, group, *, admin: bool = False, by=None) -> int:
        return await self._set_bot(group, "administrator" if admin else "member", by)

    async def remove_bot(self, group, *, by=None) -> int:
        """Kick the bot from the group: my_chat_member to the bot, then its sends get 403."""
        return await self._set_bot(group, "kicked", by)

    async def _set_bot(self, group, status: str, by) -> int:
        result = self._moved(await self._call("POST", "bot_status", {"chat_id": _id(group), "status": status,
                                                                     "user_id": _id(by)}))
        return result["seq"]

    async def block(self, user, blocked: bool = True) -> int:
        """The user blocks the bot: my_chat_member (member -> kicked), then sends to them get 403."""
        return self._moved(await self._call("POST", "block", {"user_id": _id(user), "blocked": blocked}))["seq"]

    async def unblock(self, user) -> int:
        return await self.block(user, blocked=False)

    # -------------------------------------------------------- people act

    async def _send(self, user, chat, thread, reply_to, **content) -> SbMessage:
        result = self._moved(await self._call("POST", "send", {
            "user_id": _id(user), "chat_id": _id(chat), "thread_id": thread, "reply_to": _id(reply_to), **content}))
        return SbMessage.from_view(result["message"])

    async def send(self, user, text: str, chat=None, thread: int | None = None, reply_to=None, *,
                   entities: list[dict] | None = None, link_preview_options: dict | None = None) -> SbMessage:
        """The user writes ``text`` in ``chat`` (default: their private chat with the bot).

        Commands, links, e-mail addresses, mentions, hashtags, cashtags and phone numbers get entities
        as Telegram adds them; a message with a link gets ``link_preview_options`` naming it (pass
        ``{"is_disabled": True}`` for a member who turned the preview off).
        """
        return await self._send(user, chat, thread, reply_to, text=text, entities=entities,
                                link_preview_options=link_preview_options)

    @staticmethod
    def _media(content: bytes | None, **spec) -> dict:
        if content is not None:
            spec["content_b64"] = base64.b64encode(content).decode()
        return {k: v for k, v in spec.items() if v is not None}

    async def send_photo(self, user, *, width: int = 1280, height: int = 960, content: bytes | None = None,
                         file_size: int | None = None, caption: str | None = None, chat=None, thread=None,
                         reply_to=None) -> SbMessage:
        """A photo: real ``content`` bytes, else a generated PNG of width x height (or filler of ``file_size``)."""
        photo = self._media(content, width=width, height=height, file_size=file_size)
        return await self._send(user, chat, thread, reply_to, photo=photo, caption=caption)

    async def send_document(self, user, file_name: str = "file.bin", *, content: bytes | None = None,
                            mime_type: str | None = None, file_size: int | None = None, caption: str | None = None,
                            chat=None, thread=None, reply_to=None) -> SbMessage:
        document = self._media(content, file_name=file_name, mime_type=mime_type, file_size=file_size)
        return await self._send(user, chat, thread, reply_to, document=document, caption=caption)

    async def send_voice(self, user, *, duration: int = 3, content: bytes | None = None, file_size: int | None = None,
                         caption: str | None = None, chat=None, thread=None, reply_to=None) -> SbMessage:
        voice = self._media(content, duration=duration, file_size=file_size)
        return await self._send(user, chat, thread, reply_to, voice=voice, caption=caption)

    async def send_video(self, user, *, width: int = 640, height: int = 360, duration: int = 5,
                         content: bytes | None = None, file_size: int | None = None, caption: str | None = None,
                         chat=None, thread=None, reply_to=None) -> SbMessage:
        video = self._media(content, width=width, height=height, duration=duration, file_size=file_size)
        return await self._send(user, chat, thread, reply_to, video=video, caption=caption)

    async def send_sticker(self, user, emoji: str = "👍", *, chat=None, thread=None, reply_to=None) -> SbMessage:
        return await self._send(user, chat, thread, reply_to, sticker={"emoji": emoji})

    async def send_location(self, user, latitude: float, longitude: float, *, chat=None, thread=None,
                            reply_to=None) -> SbMessage:
        return await self._send(user, chat, thread, reply_to,
                                location={"latitude": latitude, "longitude": longitude})

    async def send_contact(self, user, phone_number: str, *, user_id: int | None = -1, first_name: str | None = None,
                           chat=None) -> SbMessage:
        """A shared contact; by default the user's own (as Telegram's request_contact button sends it);
        ``user_id`` another person's id, or None for a contact who is not on Telegram."""
        owner = _id(user) if user_id == -1 else user_id
        return await self._send(user, chat, None, None, contact={"phone_number": phone_number, "user_id": owner,
                                                                  "first_name": first_name})

    async def press(self, user, message, text: str | None = None, data: str | None = None, *,
                    forge: bool = False, chat=None) -> str:
        """Press the inline button with ``text`` (or ``callback_data`` ``data``) on a bot message.

        ``message`` is an SbMessage, an aiogram/PTB Message, or a message id in ``chat`` (default: the user's chat).

        The button must be on the message's current keyboard unless ``forge`` (then ``data`` is sent as is,
        like a modified client would). Returns the callback query id.
        """
        if isinstance(message, SbMessage):
            chat_id, message_id = message.chat_id, message.id
        elif hasattr(message, "message_id"):  # an aiogram or PTB Message the bot got back
            chat_id, message_id = message.chat.id, message.message_id
        else:
            chat_id, message_id = _id(chat) or _id(user), message
        result = self._moved(await self._call("POST", "press", {
            "user_id": _id(user), "chat_id": chat_id, "message_id": message_id, "text": text, "data": data,
            "forge": forge}))
        return result["callback_query_id"]

    async def callback_answer(self, query_id: str, timeout: float = 10.0) -> dict:
        """How the bot answered a callback query: {answered, text, show_alert, url, cache_time, data, ...}.

        Waits up to ``timeout`` seconds for the answer (TimeoutError if none); ``timeout=0`` just reads.
        """
        query = await self._call("GET", f"callbacks/{query_id}")
        if query["answered"] or timeout <= 0:
            return query
        await self.wait_event(lambda e: e["type"] == "callback_answer" and e["callback_query_id"] == query_id,
                              timeout, after=query["seq"], error=f"callback query {query_id} was not answered")
        return await self._call("GET", f"callbacks/{query_id}")

    # -------------------------------------------------------- reading and waiting

    async def messages(self, chat, thread: int | None = None) -> list[SbMessage]:
        """Every message of the chat (people's and bots', deleted ones flagged), oldest first, current state."""
        views = await self._call("GET", "messages", query={"chat_id": _id(chat), "thread_id": thread})
        return [SbMessage.from_view(v) for v in views]

    async def message(self, chat, message_id) -> SbMessage:
        return SbMessage.from_view(await self._call("GET", "message", query={"chat_id": _id(chat),
                                                                              "message_id": _id(message_id)}))

    async def download(self, file_id: str) -> bytes:
        """A file's bytes, fetched as a bot fetches them: getFile, then the file URL."""
        if self._session is None:
            self._session, self._own_session = aiohttp.ClientSession(), True
        async with self._session.get(f"{self.base_url}/bot{self.token}/getFile", params={"file_id": file_id}) as resp:
            path = (await resp.json())["result"]["file_path"]
        async with self._session.get(f"{self.base_url}/file/bot{self.token}/{path}") as resp:
            resp.raise_for_status()
            return await resp.read()

    async def events(self, after: int = 0, timeout: float = 0, limit: int = 1000) -> list[dict]:
        """Events with seq > ``after``; with ``timeout`` waits (long poll) until at least one exists."""
        result = await self._call("GET", "events", query={"after": after, "timeout": timeout, "limit": limit},
                                  timeout=timeout + 30)
        return result["events"]

    async def wait_event(self, predicate: Callable[[dict], bool], timeout: float = 10.0, *, after: int | None = None,
                         error: str = "no matching event") -> dict:
        """The first event after ``after`` (default: the cursor) that satisfies ``predicate``."""
        seq = self.cursor if after is None else after
        deadline = asyncio.get_running_loop().time() + timeout
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            for event in await self.events(seq, timeout=min(remaining, 30)):
                seq = event["seq"]
                if predicate(event):
                    return event
        raise TimeoutError(f"{error} within {timeout}s")

    def _bot_message(self, event: dict, chat_id: int, thread: int | None) -> SbMessage | None:
        if (event["type"] in ("message", "edited") and event["from_bot"] and event["chat_id"] == chat_id
                and (self.bot_id is None or event["bot_id"] == self.bot_id)
                and (thread is None or event["thread_id"] == thread)):
            return SbMessage.from_view(event["message"])
        return None

    async def wait_for(self, chat, predicate: Callable[[SbMessage], bool] | str | None = None, timeout: float = 10.0,
                       *, thread: int | None = None, after: int | None = None) -> SbMessage:
        """The first bot message, new or edited, in ``chat`` after the cursor that matches ``predicate``.

        ``predicate`` is a function of SbMessage, a substring of the text, or None for any message.
        Returns the message as it was at that event. Raises TimeoutError listing what the bot did send.
        """
        chat_id, check, seen = _id(chat), _matcher(predicate), []

        def match(event: dict) -> bool:
            msg = self._bot_message(event, chat_id, thread)
            if msg is not None:
                seen.append(msg)
            return msg is not None and check(msg)

        try:
            event = await self.wait_event(match, timeout, after=after, error=f"no bot message in chat {chat_id} "
                                                                             f"matched {predicate!r}")
        except TimeoutError as e:
            raise TimeoutError(f"{e}; bot messages seen: {[m.text for m in seen]}") from None
        return SbMessage.from_view(event["message"])

    async def no_reply(self, chat, within: float = 0.5, *, thread: int | None = None) -> None:
        """Assert that the bot sends or edits nothing in ``chat`` within ``within`` seconds after the cursor."""
        try:
            msg = await self.wait_for(chat, None, within, thread=thread)
        except TimeoutError:
            return
        raise AssertionError(f"the bot unexpectedly sent {msg.text!r} in chat {_id(chat)}")

    async def calls(self, method: str | None = None) -> list[dict]:
        """Raw Bot API calls of this bot: {time, bot_id, method, params, status, description?}."""
        return await self._call("GET", "calls", query={"method": method})

    async def stats(self) -> dict:
        return await self._call("GET", "stats")

    async def commands(self) -> list[dict]:
        """Registered command lists: [{scope, language_code, commands: [{command, description}]}]."""
        return await self._call("GET", "commands")

    async def bot_info(self) -> dict:
        return await self._call("GET", "bot")

    async def wait_polling(self, timeout: float = 5.0) -> None:
        """Until a getUpdates of this bot is waiting on the server (a long poll under way)."""
        deadline = time.monotonic() + timeout
        while not (await self.bot_info())["polling"]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no getUpdates waiting on the sandbox within {timeout:g} s")
            await asyncio.sleep(0.01)

    async def set_bot(self, *, first_name: str | None = None, username: str | None = None,
                      privacy: bool | None = None) -> dict:
        return await self._call("POST", "bot", {"first_name": first_name, "username": username, "privacy": privacy})

    # -------------------------------------------------------- limits, faults, reset

    async def limits(self, **changes) -> dict:
        """Change flood limits (enabled, per_second, chat_per_second, chat_burst, group_per_minute, scale)."""
        return await self._call("POST", "limits", changes)

    async def reset_limits(self) -> dict:
        return await self._call("DELETE", "limits")

    async def faults(self, *rules, seed: int | None = None, **rule) -> dict:
        """Add fault rules (dicts or Fault objects, or one rule as keyword arguments); returns {rules, fired}."""
        items = [asdict(r) if is_dataclass(r) else r for r in rules] or ([rule] if rule else [])
        return await self._call("POST", "faults", {"rules": items, "seed": seed})

    async def clear_faults(self) -> dict:
        return await self._call("DELETE", "faults")

    async def fired_faults(self) -> list[dict]:
        return (await self._call("GET", "faults"))["fired"]

    async def reset(self) -> None:
        """Forget all people, chats, bots and statistics on the server."""
        result = await self._call("POST", "reset", {})
        self.cursor = result["seq"]
