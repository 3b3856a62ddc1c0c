"""Signing in to the office's web console (bot/console/) through Telegram, without passwords.

An office admin (or a district office's admin, or a committee's staff: handlers/core/roles.py
``console_scope``) sends ``/console`` in a private chat, or the server's operator runs ``linkage
console login-link MEMBER``: a one-time link valid ``console_link_minutes``. Opening it and
pressing 进入 starts a session (the browser keeps a random token in an HttpOnly cookie; the
database keeps its hash) that ends on sign-out or after ``console_idle_minutes`` without a
request. The link and the session are checked against the member's role at every use: a member
whose role was taken away is refused at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.core.context import HandlerConfig
from handlers.core.errors import AdminError
from handlers.core.roles import Scope, console_scope
from storage import audit, people
from storage import console as store


class SignInRefused(AdminError):
    """A sign-in link that cannot be used; ``reason`` is one of REASONS."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


REASONS = ("unknown", "used", "expired", "not_allowed")


@dataclass(frozen=True)
class Session:
    member: object
    scope: Scope
    csrf: str

    @property
    def actor(self) -> str:
        """How the audit log names what this session does: the door and who."""
        return f"console:member:{self.member.id}"


def link_url(config: HandlerConfig, token: str) -> str:
    return f"{config.console_url.rstrip('/')}/login/{token}"


async def login_link(conn, member, now: datetime, config: HandlerConfig, *, actor: str) -> str:
    """A one-time sign-in link for ``member``; refused for anyone who may not use the console."""
    if console_scope(member) is None:
        raise AdminError("{roster_id} may not use the console: only office admins (admin), district office "
                         "admins (district_admin) and committee staff (staff) may", roster_id=member.roster_id)
    token = await store.create_link(conn, member.id, now, now + timedelta(minutes=config.console_link_minutes))
    await audit.record(conn, actor, "console.link", {"member": member.roster_id}, now)
    return link_url(config, token)


async def login_link_for(conn, member_ref: str, now: datetime, config: HandlerConfig, *, actor: str = "cli") -> str:
    """``linkage console login-link MEMBER``: by roster id or unique name."""
    member = await people.find(conn, member_ref)
    if member is None:
        raise AdminError("no member '{member_ref}' (give a roster id, or a name that is unique)",
                         member_ref=member_ref)
    return await login_link(conn, member, now, config, actor=actor)


async def check_link(conn, token: str, now: datetime):
    """The member a link is for, if it may still be used (GET shows the sign-in button; nothing changes)."""
    row = await store.link(conn, token)
    if row is None:
        raise SignInRefused("unknown")
    if row.used_at is not None:
        raise SignInRefused("used")
    if row.expires_at <= now:
        raise SignInRefused("expired")
    member = await people.by_id(conn, row.member_id)
    if console_scope(member) is None:
        raise SignInRefused("not_allowed")
    return member


async def sign_in(conn, token: str, now: datetime) -> tuple[str, Session]:
    """Use the link once: (the session cookie's token, the session)."""
    member = await check_link(conn, token, now)
    if not await store.use_link(conn, token, now):  # used by someone else a moment ago
        raise SignInRefused("used")
    cookie, csrf = await store.create_session(conn, member.id, now)
    await audit.record(conn, f"console:member:{member.id}", "console.sign_in", {"member": member.roster_id}, now)
    return cookie, Session(member, console_scope(member), csrf)


async def session(conn, cookie: str, now: datetime, config: HandlerConfig) -> Session | None:
    """The live session of this cookie (its idle clock restarted), or None."""
    row = await store.live_session(conn, cookie, now - timedelta(minutes=config.console_idle_minutes))
    if row is None:
        return None
    member = await people.by_id(conn, row.member_id)
    scope = console_scope(member)
    if scope is None:
        return None
    await store.touch_session(conn, cookie, now)
    return Session(member, scope, row.csrf)


async def sign_out(conn, cookie: str, now: datetime, session: Session) -> None:
    await store.end_session(conn, cookie, now)
    await audit.record(conn, session.actor, "console.sign_out", {"member": session.member.roster_id}, now)
