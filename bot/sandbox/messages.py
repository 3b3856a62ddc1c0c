"""Messages: sending, copying, forwarding, editing and deleting them, and answering button presses,
validated and rate-limited as Telegram does."""

from __future__ import annotations

import re
import time

from . import formatting
from .faults import ApiError, bad
from .media import image_size
from .params import MB, Params, api
from .state import BotState, Chat, Msg, now

NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message")
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
LINK_PREVIEW_FLAGS = ("is_disabled", "prefer_small_media", "prefer_large_media", "show_above_text")


class MessageMethods:
    """Mixed into ``SandboxServer``: the methods that send and change messages."""

    def _slot(self, bot: BotState, chat: Chat, paid: bool = False) -> None:
        wait = bot.limiter.acquire(self.limits, chat, time.monotonic(), paid)
        if wait:
            bot.rate_limited += 1
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        bot.sent_at.append(time.time())
        bot.paid_broadcasts += paid

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
        self._slot(bot, chat, paid=p.flag("allow_paid_broadcast"))
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
