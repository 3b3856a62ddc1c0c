"""What a handler gets: the event, one open transaction, the clock's time, and an outbox
writer. Everything a handler sends is an outbox row committed with its business change."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator, Protocol

from handlers.core.events import Event
from handlers.core.feature import Registry
from handlers.core.i18n import Translator, translator
from handlers.core.localtime import quiet_until
from storage import outbox, timers

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

# Telegram's limits, counted as Telegram counts them: text and captions in UTF-16 code units
# after entity parsing (an emoji is 2, a tag 0, "&lt;" 1), callback data in UTF-8 bytes.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
CALLBACK_DATA_BYTES = 64
_TAG = re.compile(r"<[^>]*>")
# Bidi embeddings, overrides and isolates: they can reorder what a card shows around them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Characters that show nothing: zero-width space/joiners, word joiner, BOM, variation selectors.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_HTML_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|.", re.DOTALL)  # a tag, an entity, or one character
Buttons = list[list[tuple[str, str]]]  # rows of (label, callback_data)


class BotQueries(Protocol):
    """Read-only Bot API calls a handler may need before it decides (e.g. getChatMember)."""

    async def call(self, method: str, params: dict[str, Any]) -> Any: ...


@dataclass(frozen=True)
class HandlerConfig:
    """What handlers read of the configuration. The one declaration of these defaults: each field
    is also the setting LINKAGE_<FIELD> (bot/settings.py builds those from here), except
    max_file_bytes (set as LINKAGE_MAX_FILE_MB) and allowed_document_types (not configurable)."""

    bot_username: str = "linkage_bot"
    office_contact: str = "天津市政协委员学习和联络室 022-0000-0000"
    invite_days: int = 14
    bind_key_hours: int = 48
    reveal_liaison_names: bool = False
    max_text_chars: int = 3000
    max_file_bytes: int = 20 * 1024 * 1024
    group_language: str = "zh"
    user_messages_per_minute: int = 20  # answered per person; handlers/flood.py
    # study calendar (handlers/study.py): default reminders (minutes before a session), how early
    # check-in opens, and the time of a reading plan's daily reminder (Asia/Shanghai)
    study_reminder_minutes: tuple[int, ...] = (2880, 120)  # LINKAGE_STUDY_REMINDER_MINUTES=[2880,120]
    study_checkin_early_minutes: int = 15
    study_plan_remind_at: str = "08:30"
    # notices and digests (handlers/notices.py, handlers/digest.py); times are Asia/Shanghai
    notice_remind_hours: int = 24  # remind those who have not read a notice after this (0 = never)
    digest_weekday: int = 0  # 0 = Monday: the members' weekly digest and the office's statistics
    digest_time: str = "09:00"  # weekly and daily digests
    digest_liaison_time: str = "08:00"  # the liaisons' queue, on working days
    digest_chunk: int = 2000  # members whose digest drafts one transaction writes (a firing is many of them)
    charts_dir: str = "var/charts"  # where the office's chart images are written
    # deadlines (handlers/deadlines.py): working days to claim, to reply first, to an outcome;
    # a working day ends at deadline_time (Asia/Shanghai), when deadlines fall and nudges go
    deadline_claim_days: int = 1
    deadline_reply_days: int = 3
    deadline_outcome_days: int = 7
    deadline_time: str = "17:30"
    # retention (handlers/privacy/retention.py): days a handled raw update, and a finished message's text,
    # are kept
    retention_inbox_days: int = 30
    retention_outbox_days: int = 180
    retention_chunk: int = 2000  # rows of each kind one clean-up transaction changes at most
    # quiet hours (Asia/Shanghai, HH:MM-HH:MM, "" = none): bulk messages — reminders, digests,
    # notices, nudges — queued inside them wait until the window ends (Ctx.call)
    quiet_hours: str = "21:00-08:00"
    # the members' yearly summary (handlers/selfservice/summary.py): "MM-DD HH:MM" Asia/Shanghai
    year_summary_at: str = "12-31 18:00"
    # the office's web console (bot/console/): the address its sign-in links start with (behind a
    # reverse proxy, the public https:// one), how long a link lasts, a session's idle timeout
    console_url: str = "http://127.0.0.1:8080"
    console_link_minutes: int = 10
    console_idle_minutes: int = 30
    allowed_document_types: tuple[str, ...] = (
        "application/pdf", "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "image/jpeg", "image/png", "text/plain")


def without_bidi_controls(text: str) -> str:
    return _BIDI_CONTROLS.sub("", text)


def shows_nothing(text: str) -> bool:
    """True for text a reader would see as empty (only whitespace and invisible characters)."""
    return not _INVISIBLE.sub("", text).strip()


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def telegram_len(html_text: str) -> int:
    """The length Telegram checks against its limits for a text sent with parse_mode HTML."""
    return utf16_len(html.unescape(_TAG.sub("", html_text)))


def clip(text: str, limit: int) -> str:
    """Plain text cut to ``limit`` UTF-16 units, "…" included, never inside a character."""
    if utf16_len(text) <= limit:
        return text
    units, kept = 0, []
    for char in text:
        units += utf16_len(char)
        if units > limit - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def keyboard(buttons: Buttons) -> dict:
    for row in buttons:
        for _, data in row:
            if len(data.encode()) > CALLBACK_DATA_BYTES:  # Telegram refuses the whole message
                raise ValueError(f"callback data over {CALLBACK_DATA_BYTES} bytes: {data[:20]}…")
    return {"inline_keyboard": [[{"text": label, "callback_data": data} for label, data in row]
                                for row in buttons]}


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split HTML at line breaks so each part is within Telegram's limit as Telegram counts
    it. Our HTML never spans lines, so each part stays well-formed; a single overlong line is
    cut between characters, its open tags closed and reopened across the cut."""
    if not text.startswith("\n") and telegram_len(text) <= limit:  # most texts: one part as it is
        return [text]
    parts: list[str] = []
    current, units = "", 0  # units: telegram_len(current), kept line by line (no tag or entity spans a line)
    for line in text.split("\n"):
        size = telegram_len(line)
        if size > limit:  # fill the current part, then whole parts of the line
            room = limit - units - 1 if current else limit
            first, *whole, line = _cut_line(line, limit, max(room, 0))
            parts += [f"{current}\n{first}" if current else first, *whole]
            current, units, size = "", 0, telegram_len(line)
        if not current:
            current, units = line, size
        elif units + 1 + size > limit:
            parts.append(current)
            current, units = line, size
        else:
            current, units = f"{current}\n{line}", units + 1 + size
    if current or not parts:
        parts.append(current)
    return parts


def _cut_line(line: str, limit: int, first_limit: int) -> list[str]:
    pieces: list[str] = []
    piece, units, open_tags = "", limit - first_limit, []
    for token in _HTML_TOKEN.findall(line):
        if token.startswith("</"):
            open_tags.pop()
        elif token.startswith("<") and len(token) > 1:
            open_tags.append(token)
        else:
            size = utf16_len(html.unescape(token))
            if units + size > limit:
                pieces.append(piece + "".join(f"</{tag[1:].split()[0].rstrip('>')}>" for tag in reversed(open_tags)))
                piece, units = "".join(open_tags), 0
            units += size
        piece += token
    return [*pieces, piece]


# The event of work that no update started: a timer firing, a command-line operation.
NO_UPDATE = Event(update_id=0, kind="offline", user_id=None, user_name="", language_code=None, chat_id=None,
                  chat_type=None)


@dataclass
class Ctx:
    event: Event
    conn: AsyncConnection
    now: datetime
    config: HandlerConfig
    features: Registry  # every feature's declarations (handlers/features.py)
    api: BotQueries | None = None
    member: Any = None  # the sender's member row, if the sender is a known member
    sent: list[dict] = field(default_factory=list)
    timers_added: int = 0  # the scheduler looks again when a handler added timers
    held: list[dict] | None = None  # outbox rows kept, not written (``holding``)

    @classmethod
    def offline(cls, conn: AsyncConnection, now: datetime, config: HandlerConfig, features: Registry) -> "Ctx":
        """The context of a timer's job or a command-line operation: no update, no sender."""
        return cls(event=NO_UPDATE, conn=conn, now=now, config=config, features=features)

    @property
    def t(self) -> Translator:
        lang = self.member.language if self.member is not None else self.event.language_code
        return translator(lang)

    async def call(self, method: str, params: dict, *, chat_id: int | None = None,
                   is_group: bool = False, key: str | None = None, priority: int = outbox.INTERACTIVE,
                   not_before: datetime | None = None) -> None:
        """Queue one Bot API call. A bulk one (not an answer to what someone just did) queued in
        quiet hours waits until they end; interactive ones — replies, cards — never wait."""
        if priority == outbox.BULK and (until := quiet_until(self.now, self.config.quiet_hours)) is not None:
            not_before = max(not_before or self.now, until)
        row = outbox.row(method=method, params=params, now=self.now, chat_id=chat_id, is_group=is_group, key=key,
                         priority=priority, not_before=not_before)
        if self.held is not None:
            self.held.append(row)
        else:
            await outbox.enqueue_many(self.conn, [row])
        self.sent.append({"method": method, "chat_id": chat_id})

    @contextmanager
    def holding(self) -> Iterator[list[dict]]:
        """The calls queued inside are kept in the list it gives instead of written (a digest's
        chunk is rendered in a read-only snapshot; its rows go to the outbox in one INSERT after)."""
        self.held = []
        try:
            yield self.held
        finally:
            self.held = None

    async def schedule(self, key: str, kind: str, due_at: datetime, *, payload: dict | None = None,
                       expires_at: datetime | None = None) -> bool:
        """Something to do at ``due_at`` (once per key); see handlers/scheduled.py."""
        added = await timers.schedule(self.conn, key, kind, due_at, payload=payload, expires_at=expires_at)
        self.timers_added += added
        return added

    async def send(self, chat_id: int, text: str, *, buttons: Buttons | None = None,
                   thread_id: int | None = None, key: str | None = None, reply_to: Any = None,
                   is_group: bool = False, priority: int = outbox.INTERACTIVE) -> None:
        """Queue a text message; over-long texts go as several messages, buttons on the last."""
        parts = split_text(text)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            params: dict[str, Any] = {"chat_id": chat_id, "text": part, "parse_mode": "HTML",
                                      "link_preview_options": {"is_disabled": True}}
            if thread_id:
                params["message_thread_id"] = thread_id
            if buttons and last:
                params["reply_markup"] = keyboard(buttons)
            if reply_to is not None and index == 0:
                params["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
            await self.call("sendMessage", params, chat_id=chat_id, is_group=is_group,
                            key=key if last else None, priority=priority)

    async def edit(self, chat_id: int, message: Any, text: str, *, buttons: Buttons | None = None,
                   is_group: bool = False) -> None:
        """Edit a message in place; ``message`` is its id or ``{"$ref": outbox key}``."""
        params = {"chat_id": chat_id, "message_id": message, "text": split_text(text)[0],
                  "parse_mode": "HTML", "link_preview_options": {"is_disabled": True},
                  "reply_markup": keyboard(buttons or [])}
        await self.call("editMessageText", params, chat_id=chat_id, is_group=is_group)

    async def reply(self, text: str, *, buttons: Buttons | None = None) -> None:
        """Answer in the chat the event came from (and its forum topic)."""
        await self.send(self.event.chat_id, text, buttons=buttons, thread_id=self.event.thread_id,
                        is_group=self.event.is_group)

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the pressed button, so the client stops its progress indicator."""
        params: dict[str, Any] = {"callback_query_id": self.event.callback_id}
        if text:
            params["text"] = clip(text, CALLBACK_ANSWER_LIMIT)
            params["show_alert"] = alert
        await self.call("answerCallbackQuery", params)
