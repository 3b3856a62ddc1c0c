"""Invites: a one-time deep link that binds a member's Telegram account to their roster entry."""

from __future__ import annotations

from handlers.core.errors import AdminError
from handlers.office.lookups import clean, find_member
from storage import audit, people


async def invite_link(conn, member_ref: str, now, *, days: int, bot_username: str,
                      actor: str = "cli") -> str:
    """A one-time deep link that binds the member's Telegram account: https://t.me/BOT?start=CODE."""
    member = await find_member(conn, member_ref)
    if not member.active:
        raise AdminError(f"member {member.roster_id} ({member.name}) is not active")
    if days <= 0:
        raise AdminError("an invite must be valid for at least one day")
    username = clean(bot_username).lstrip("@")
    if not username:
        raise AdminError("the bot's username is not set (LINKAGE_BOT_USERNAME)")
    code = await people.create_invite(conn, member.id, now, days)
    await audit.record(conn, actor, "invite.create", {"member": member.roster_id, "days": days}, now)
    return f"https://t.me/{username}?start={code}"
