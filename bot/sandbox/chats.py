"""Chats: who the bot is, the chats it is in and may act in, forum topics, its command menus."""

from __future__ import annotations

import json
import re

from . import formatting
from .faults import bad, forbidden
from .params import Params, api
from .state import MEMBER_STATUSES, BotState, Chat, member_json

SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
          "chat_administrators", "chat_member"}


class ChatMethods:
    """Mixed into ``SandboxServer``: identity, chats, forum topics and commands."""

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

    def create_topic(self, chat: Chat, name: str, icon_color: int, sender: dict, bot_id: int | None) -> dict:
        msg = chat.add(sender=sender, content={"forum_topic_created": {"name": name, "icon_color": icon_color}},
                       bot_id=bot_id)
        msg.thread_id = msg.id  # a topic is identified by the id of its creation message
        chat.topics[msg.id] = topic = {"message_thread_id": msg.id, "name": name, "icon_color": icon_color}
        self.log_message("message", msg)
        self.deliver(msg)
        return topic

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
