"""Updates: what people do reaches each bot that would see it, by long polling or by webhook."""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp

from . import formatting
from .faults import ApiError, bad
from .params import Params, api, dumps
from .state import BotState, Chat, Msg, User, member_json, now

WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first")


class UpdateMethods:
    """Mixed into ``SandboxServer``: the event log, updates for bots, getUpdates and the webhook."""

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

    # -------------------------------------------------------- getUpdates & webhook

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
                async with self._http.post(hook["url"], data=dumps(update).encode(), headers=headers,
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
