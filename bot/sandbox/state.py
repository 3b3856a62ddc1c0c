"""In-memory world of the sandbox: people, chats, messages, files, bots, updates and the event log.

Everything here is mutated only from the event loop without awaiting in between, so a
single API call or control action is atomic.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import secrets
import time
from collections import Counter, deque
from dataclasses import dataclass, field, fields

__all__ = ["Limits", "RateLimiter", "User", "Chat", "Msg", "FileRecord", "BotState", "World", "member_json"]

# Updates a bot gets when it does not ask for specific ones (Telegram's default).
OPT_IN_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
MEMBER_STATUSES = {"creator", "administrator", "member"}


def now() -> int:
    return int(time.time())


# ---------------------------------------------------------------- rate limits


TOKEN_RE = re.compile(r"\d+:[\w-]+")  # a bot token as Telegram issues them

@dataclass
class Limits:
    """Telegram's flood limits. ``scale`` multiplies every allowance (10 = ten times more permissive)."""

    enabled: bool = True
    per_second: float = 30.0        # all chats of one bot
    chat_per_second: float = 1.0    # one chat
    chat_burst: int = 3             # short burst allowed in one chat before the 1/s pace applies
    group_per_minute: float = 20.0  # one group/supergroup, all its topics together
    # messages sent with allow_paid_broadcast skip the 30/s broadcasting limit, up to this many a
    # second (every message of the bot, paid or not, counts here); the per-chat and group limits stay
    paid_per_second: float = 1000.0
    scale: float = 1.0

    def update(self, values: dict) -> None:
        types = {f.name: f.type for f in fields(self)}  # annotations are strings here
        for key, value in values.items():
            if key not in types:
                raise ValueError(f"unknown limit {key!r}")
            if types[key] == "bool":
                value = value in (True, 1, "1", "true", "True")
            setattr(self, key, {"bool": bool, "int": int, "float": float}[types[key]](value))

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class RateLimiter:
    """Per-bot flood control: a 1 s window overall (of messages sent without allow_paid_broadcast),
    a 1 s window of all messages (the paid broadcasts' limit), a token bucket per chat, a 60 s
    window per group."""

    def __init__(self) -> None:
        self.window: deque[float] = deque()
        self.paid_window: deque[float] = deque()
        self.buckets: dict[int, tuple[float, float]] = {}  # chat id -> (tokens, last refill)
        self.groups: dict[int, deque[float]] = {}

    def acquire(self, limits: Limits, chat: Chat, t: float, paid: bool = False) -> int | None:
        """Take a slot and return None, or return the whole seconds to wait (taking nothing).
        ``paid``: the message was sent with allow_paid_broadcast."""
        if not limits.enabled:
            return None
        waits = []
        windows = [(self.paid_window, limits.paid_per_second * limits.scale)]
        if not paid:
            windows.append((self.window, limits.per_second * limits.scale))
        for window, per_second in windows:
            _expire(window, t - 1)
            if len(window) >= per_second:
                waits.append(window[-math.ceil(per_second)] + 1 - t)
        rate, cap = limits.chat_per_second * limits.scale, max(1.0, limits.chat_burst * limits.scale)
        tokens, last = self.buckets.get(chat.id, (cap, t))
        tokens = min(cap, tokens + (t - last) * rate)
        if tokens < 1:
            waits.append((1 - tokens) / rate)
        group = None
        if chat.type != "private":
            group = self.groups.setdefault(chat.id, deque())
            per_minute = limits.group_per_minute * limits.scale
            _expire(group, t - 60)
            if len(group) >= per_minute:
                waits.append(group[-math.ceil(per_minute)] + 60 - t)
        if waits:
            return max(1, math.ceil(max(waits)))
        for window, _ in windows:
            window.append(t)
        self.buckets[chat.id] = (tokens - 1, t)
        if group is not None:
            group.append(t)
        return None


def _expire(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()


# ---------------------------------------------------------------- people, chats, messages

@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started: set[int] = field(default_factory=set)  # bots this user has written to
    blocked: set[int] = field(default_factory=set)  # bots this user has blocked

    def json(self) -> dict:
        data = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass(eq=False)
class Chat:
    id: int
    type: str                        # private | group | supergroup
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    user: User | None = None          # the person in a private chat
    bot_id: int | None = None         # the bot of a private chat (private chats are per bot)
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    bots: dict[int, str] = field(default_factory=dict)     # bot id -> status
    topics: dict[int, dict] = field(default_factory=dict)  # message_thread_id -> ForumTopic
    messages: dict[int, Msg] = field(default_factory=dict)
    next_id: int = 1

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def json(self) -> dict:
        if self.user:
            data = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            data.update({k: v for k, v in self.user.json().items() if k in ("last_name", "username")})
            return data
        data = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data

    def add(self, **kwargs) -> Msg:
        msg = Msg(chat=self, id=self.next_id, date=now(), **kwargs)
        self.messages[msg.id] = msg
        self.next_id += 1
        return msg

    def live(self, message_id: int | None) -> Msg | None:
        msg = self.messages.get(message_id) if message_id is not None else None
        return msg if msg and not msg.deleted else None


@dataclass(eq=False)
class Msg:
    chat: Chat
    id: int
    date: int
    sender: dict                      # a User object (bots included)
    content: dict                     # text/entities, media + caption, or service fields
    bot_id: int | None = None         # the bot that sent it, if any
    thread_id: int | None = None
    reply_to: int | None = None
    reply_markup: dict | None = None
    edit_date: int | None = None
    edits: int = 0
    deleted: bool = False

    KINDS = ("text", "photo", "document", "voice", "video", "sticker", "location", "forum_topic_created",
             "new_chat_members", "left_chat_member")

    @property
    def kind(self) -> str:
        return next((k for k in self.KINDS if k in self.content), "other")

    @property
    def text(self) -> str | None:
        return self.content.get("text", self.content.get("caption"))

    @property
    def entities(self) -> list[dict]:
        return self.content.get("entities", self.content.get("caption_entities", []))

    def reply_target(self) -> Msg | None:
        """Telegram makes every topic message a reply to the topic's creation message unless it replies."""
        if self.reply_to is not None:
            return self.chat.live(self.reply_to)
        if self.thread_id and self.id != self.thread_id:
            return self.chat.live(self.thread_id)
        return None

    def api(self, nested: bool = False) -> dict:
        data = {"message_id": self.id, "from": self.sender, "chat": self.chat.json(), "date": self.date}
        if self.thread_id:
            data["message_thread_id"] = self.thread_id
            data["is_topic_message"] = True
        if not nested and (target := self.reply_target()):
            data["reply_to_message"] = target.api(nested=True)
        if self.edit_date:
            data["edit_date"] = self.edit_date
        data.update(self.content)
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup  # Telegram returns only inline keyboards
        return data

    def view(self) -> dict:
        """The control API's flat description of a message's current state."""
        return {
            "message_id": self.id, "chat_id": self.chat.id, "thread_id": self.thread_id,
            "from": self.sender, "from_bot": self.bot_id is not None, "bot_id": self.bot_id or self.chat.bot_id,
            "date": self.date, "kind": self.kind, "text": self.text, "entities": self.entities,
            "reply_markup": self.reply_markup, "reply_to": self.reply_to, "edits": self.edits,
            "deleted": self.deleted, "raw": self.api(),
        }


def member_json(user: dict, status: str, chat: Chat) -> dict:
    """A ChatMember object of the right subtype for ``status``."""
    data = {"status": status, "user": user}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(dict.fromkeys(
            ("can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
             "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
             "can_delete_stories", "can_send_welcome_messages", "can_pin_messages"), True))
        data.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        if chat.is_forum:
            data["can_manage_topics"] = True
    elif status == "kicked":
        data["until_date"] = 0
    return data


# ---------------------------------------------------------------- files

@dataclass(eq=False)
class FileRecord:
    file_id: str
    unique_id: str
    kind: str                  # photo | document | voice | video | sticker
    size: int
    path: str
    obj: dict                  # the Bot API object (PhotoSize, Document, ...)
    data: bytes | None = None  # None: synthesized on download
    group: list[dict] | None = None  # all sizes of the photo this PhotoSize belongs to

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        pattern = f"sandbox file {self.unique_id}\n".encode()
        return (pattern * (self.size // len(pattern) + 1))[:self.size]


# ---------------------------------------------------------------- bots

class BotState:
    def __init__(self, token: str, privacy: bool) -> None:
        self.token = token
        self.id = int(token.split(":", 1)[0])
        self.first_name = "Sandbox Bot"
        self.username = f"sandbox{self.id}_bot"
        self.privacy = privacy
        self.updates: list[dict] = []
        self.next_update_id = 100_000_001
        self.allowed: set[str] | None = None
        self.poller: dict | None = None       # the getUpdates call currently waiting
        self.webhook: dict | None = None
        self.webhook_error: tuple[int, str] | None = None
        self.webhook_task: asyncio.Task | None = None
        self.wakeup = asyncio.Event()          # new updates, webhook or poller change
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.limiter = RateLimiter()
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.sent_at: list[float] = []        # times of counted (rate-limited) actions performed
        self.rate_limited = 0
        self.paid_broadcasts = 0              # messages sent with allow_paid_broadcast (0.1 Stars each)

    @property
    def user(self) -> dict:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    def wants(self, kind: str) -> bool:
        return kind in self.allowed if self.allowed else kind not in OPT_IN_UPDATES

    def notify(self) -> None:
        self.wakeup.set()
        self.wakeup = asyncio.Event()


# ---------------------------------------------------------------- the world

class World:
    def __init__(self, privacy: bool, first_seq: int = 0) -> None:
        self.privacy = privacy
        self.bots: dict[str, BotState] = {}
        self.users: dict[int, User] = {}
        self.groups: dict[int, Chat] = {}
        self.private: dict[tuple[int, int], Chat] = {}  # (bot id, user id)
        self.files: dict[str, FileRecord] = {}
        self.paths: dict[str, FileRecord] = {}
        self.callbacks: dict[str, dict] = {}
        self.first_seq = first_seq
        self.events: list[dict] = []
        self.event_signal = asyncio.Event()
        self.calls: deque[dict] = deque(maxlen=20_000)
        self.faults_fired: list[dict] = []
        self._ids = itertools.count(1)

    # -- bots and people
    def bot(self, token: str) -> BotState:
        if token not in self.bots:
            self.bots[token] = BotState(token, self.privacy)
        return self.bots[token]

    def new_user(self, first_name: str, id: int | None = None, **extra) -> User:
        uid = id
        if uid is None:  # the next free id, skipping those of known bots
            taken = set(self.users) | {b.id for b in self.bots.values()}
            while uid is None or uid in taken:
                uid = 5_000_000_000 + next(self._ids)
        if uid in self.users:
            raise ValueError(f"user {uid} already exists")
        self.users[uid] = user = User(id=uid, first_name=first_name, **extra)
        return user

    def new_group(self, title: str, supergroup: bool, forum: bool, username: str | None) -> Chat:
        base = -1_002_000_000_000 if supergroup else -4_000_000_000
        chat = Chat(id=base - next(self._ids), type="supergroup" if supergroup else "group", title=title,
                    username=username, is_forum=forum)
        self.groups[chat.id] = chat
        return chat

    def private_chat(self, bot: BotState, user: User) -> Chat:
        key = (bot.id, user.id)
        if key not in self.private:
            self.private[key] = Chat(id=user.id, type="private", user=user, bot_id=bot.id)
        return self.private[key]

    def find_chat(self, bot: BotState, chat_id: int | str) -> Chat | None:
        if isinstance(chat_id, str):  # @username of a public group
            return next((c for c in self.groups.values() if c.username and "@" + c.username == chat_id), None)
        if chat_id in self.groups:
            return self.groups[chat_id]
        user = self.users.get(chat_id)
        return self.private_chat(bot, user) if user else None

    # -- files
    def add_file(self, kind: str, size: int, obj: dict, data: bytes | None, ext: str) -> FileRecord:
        n = next(self._ids)
        unique = f"AQAD{n:06d}{secrets.token_hex(3)}"
        rec = FileRecord(file_id=f"{kind[:2].upper()}AC{n:06d}{secrets.token_urlsafe(18)}", unique_id=unique,
                         kind=kind, size=size, path=f"{kind}s/file_{n}.{ext}", obj=obj, data=data)
        rec.obj.update(file_id=rec.file_id, file_unique_id=unique, file_size=size)
        self.files[rec.file_id] = self.paths[rec.path] = rec
        return rec

    # -- updates
    def emit(self, bot: BotState, kind: str, payload: dict) -> None:
        if not bot.wants(kind):
            return
        bot.updates.append({"update_id": bot.next_update_id, kind: payload})
        bot.next_update_id += 1
        bot.notify()

    # -- event log
    @property
    def seq(self) -> int:
        return self.first_seq + len(self.events)

    def log(self, type_: str, **data) -> int:
        event = {"seq": self.seq + 1, "time": time.time(), "type": type_, **data}
        self.events.append(event)
        self.event_signal.set()
        self.event_signal = asyncio.Event()
        return event["seq"]

    def events_after(self, seq: int, limit: int = 1000) -> list[dict]:
        start = max(0, seq - self.first_seq)
        return self.events[start:start + limit]

    async def wait_events(self, seq: int, timeout: float, limit: int = 1000) -> list[dict]:
        deadline = time.monotonic() + timeout
        while not (found := self.events_after(seq, limit)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(self.event_signal.wait(), remaining)
            except asyncio.TimeoutError:
                break
        return found
