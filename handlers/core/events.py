"""The neutral event: what a handler needs to know about one Telegram update.

Both frameworks speak the Bot API's JSON, so an update is parsed here once, from the raw
JSON the adapter stored in the inbox, and handlers never see a framework object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Telegram's "GroupAnonymousBot": messages from anonymous group admins come from it.
ANONYMOUS_ADMIN_BOT_ID = 1087968824


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo | document | voice | location | unsupported
    file_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    original_kind: str | None = None  # for unsupported: what Telegram called it
    duration: int | None = None  # a voice message's seconds

    def record(self, field: str | None = None) -> dict:
        """As a report keeps it (storage.schema.attachments); ``field``: the text step a voice
        message stands for."""
        return {"kind": self.kind, "file_id": self.file_id, "file_name": self.file_name,
                "mime_type": self.mime_type, "file_size": self.file_size,
                "latitude": None if self.latitude is None else str(self.latitude),
                "longitude": None if self.longitude is None else str(self.longitude), "field": field}


@dataclass(frozen=True)
class Event:
    update_id: int
    kind: str  # message | callback | bot_membership | other
    user_id: int | None
    user_name: str
    language_code: str | None
    chat_id: int | None
    chat_type: str | None  # private | group | supergroup | channel
    chat_title: str | None = None
    thread_id: int | None = None
    message_id: int | None = None
    text: str | None = None
    command: str | None = None  # "start" for "/start@linkage_bot CODE"
    command_args: str = ""
    reply_to_message_id: int | None = None
    attachments: tuple[Attachment, ...] = ()
    callback_id: str | None = None
    callback_data: str | None = None
    sender_is_chat: bool = False  # sent on behalf of the chat (an anonymous admin)
    bot_status: str | None = None  # my_chat_member: the bot's new status in the chat
    contact: tuple[str, int | None] | None = None  # a shared contact: (phone_number, its user_id if on Telegram)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"

    @property
    def is_group(self) -> bool:
        return self.chat_type in ("group", "supergroup")

    @property
    def chat_key(self) -> str:
        return f"{self.chat_id}:{self.thread_id or 0}"


def _user_name(user: dict | None) -> str:
    if not user:
        return ""
    return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)


def _attachments(message: dict) -> tuple[Attachment, ...]:
    if "photo" in message:
        biggest = max(message["photo"], key=lambda p: p.get("file_size") or p.get("width", 0))
        return (Attachment("photo", biggest["file_id"], file_size=biggest.get("file_size"),
                           mime_type="image/jpeg"),)
    if "document" in message:
        doc = message["document"]
        return (Attachment("document", doc["file_id"], doc.get("file_name"), doc.get("mime_type"),
                           doc.get("file_size")),)
    if "voice" in message:
        voice = message["voice"]
        return (Attachment("voice", voice["file_id"], mime_type=voice.get("mime_type"),
                           file_size=voice.get("file_size"), duration=voice.get("duration")),)
    if "location" in message:
        loc = message["location"]
        return (Attachment("location", latitude=loc["latitude"], longitude=loc["longitude"]),)
    for other in ("video", "video_note", "audio", "sticker", "animation", "contact", "poll",
                  "venue", "dice", "game", "story"):
        if other in message:
            return (Attachment("unsupported", original_kind=other),)
    return ()


def _command(text: str | None) -> tuple[str | None, str]:
    if not text or not text.startswith("/"):
        return None, ""
    head, _, args = text.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    return (name or None), args.strip()


class MalformedUpdate(ValueError):
    """An update without the shape the Bot API promises (``photo: []``, a message without
    ``chat``): parsing it again gives the same error, so it is parked at once, never retried."""


def parse_update(raw: dict[str, Any]) -> Event:
    try:
        return _parse(raw)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        # the exception's type and key only: never a value from the update (member content)
        raise MalformedUpdate(f"{type(exc).__name__} {exc if isinstance(exc, KeyError) else ''}".strip()) from exc


def _parse(raw: dict[str, Any]) -> Event:
    update_id = raw["update_id"]
    if "message" in raw or "edited_message" in raw:
        message = raw.get("message") or raw["edited_message"]
        chat = message["chat"]
        user = message.get("from")
        text = message.get("text") if "text" in message else message.get("caption")
        command, args = _command(message.get("text"))
        sender_chat = message.get("sender_chat")
        return Event(
            update_id=update_id,
            kind="message" if "message" in raw else "edited_message",
            user_id=user["id"] if user else None,
            user_name=_user_name(user),
            language_code=(user or {}).get("language_code"),
            chat_id=chat["id"],
            chat_type=chat["type"],
            chat_title=chat.get("title"),
            thread_id=message.get("message_thread_id") if message.get("is_topic_message") else None,
            message_id=message["message_id"],
            text=text,
            command=command,
            command_args=args,
            reply_to_message_id=(message.get("reply_to_message") or {}).get("message_id"),
            attachments=_attachments(message),
            sender_is_chat=bool(sender_chat and sender_chat.get("id") == chat["id"]),
            contact=(str(message["contact"]["phone_number"]), message["contact"].get("user_id"))
            if "contact" in message else None,
            raw=raw,
        )
    if "callback_query" in raw:
        query = raw["callback_query"]
        user = query["from"]
        message = query.get("message") or {}
        chat = message.get("chat") or {}
        return Event(
            update_id=update_id,
            kind="callback",
            user_id=user["id"],
            user_name=_user_name(user),
            language_code=user.get("language_code"),
            chat_id=chat.get("id"),
            chat_type=chat.get("type"),
            chat_title=chat.get("title"),
            thread_id=message.get("message_thread_id") if message.get("is_topic_message") else None,
            message_id=message.get("message_id"),
            callback_id=query["id"],
            callback_data=query.get("data"),
            raw=raw,
        )
    if "my_chat_member" in raw:
        change = raw["my_chat_member"]
        user = change.get("from")
        return Event(
            update_id=update_id,
            kind="bot_membership",
            user_id=user["id"] if user else None,
            user_name=_user_name(user),
            language_code=(user or {}).get("language_code"),
            chat_id=change["chat"]["id"],
            chat_type=change["chat"]["type"],
            chat_title=change["chat"].get("title"),
            bot_status=change["new_chat_member"]["status"],
            raw=raw,
        )
    return Event(update_id=update_id, kind="other", user_id=None, user_name="", language_code=None,
                 chat_id=None, chat_type=None, raw=raw)
