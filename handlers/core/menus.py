"""The command menus Telegram shows beside the text field, made from the features' declarations
(``Feature.menu``, ``Feature.group_menu``): one for every private chat and one for groups, in each
language; and, for a member whose role adds commands (a liaison's /find, an admin's /notice), a
menu of that member's own chat (``BotCommandScopeChat``), in their language — Telegram shows the
most specific scope, so everyone else keeps the general menu."""

from __future__ import annotations

import hashlib
import json

from handlers.core.i18n import translator


def _entries(entries, lang: str) -> list[dict]:
    t = translator(lang)
    return [{"command": command, "description": t.plain(msgid)} for command, msgid in entries]


def private_commands(features, lang: str, member=None) -> list[dict]:
    """The private-chat menu: every member's commands, and the member's role's when given."""
    return _entries([(command, msgid) for command, msgid, who in features.menu
                     if who is None or (member is not None and who(member))], lang)


def group_commands(features, lang: str) -> list[dict]:
    return _entries(features.group_menu, lang)


def has_own_menu(features, member) -> bool:
    return any(who is not None and who(member) for _, _, who in features.menu)


async def queue_own_menu(ctx, member) -> None:
    """Queue the member's own menu (nothing for a member whose role adds no command). Keyed by
    its content, so restarts do not send it again while the outbox keeps the row."""
    if member.telegram_user_id is None or not has_own_menu(ctx.features, member):
        return
    commands = private_commands(ctx.features, member.language, member)
    signature = hashlib.sha256(json.dumps(commands, ensure_ascii=False).encode()).hexdigest()[:16]
    await ctx.call("setMyCommands", {"scope": {"type": "chat", "chat_id": member.telegram_user_id},
                                     "commands": commands}, key=f"menu:{member.id}:{signature}")  # silent: never held for quiet hours
