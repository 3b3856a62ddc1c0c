"""The office's sessions: add, announce, move, cancel, attach materials (chat and CLI share these).

- Announcing sends each member of the audience (bulk priority) a card with RSVP buttons; an
  RSVP row (``invited``) is kept per member. Members who match the audience later (they joined
  after the announcement) see the session in ``/sessions`` and may answer there.
- Reminders (default 48 h and 2 h before, per session) are timers
  ``study:{id}:remind:{minutes}`` (``…:r{n}`` after the n-th move) expiring at the start. A
  reminder whose time has already passed when the session is announced or moved is not
  scheduled (the card itself says it all). Check-in opens with timer ``study:{id}:open``.
- Materials are pushed when the session ends (timer ``study:{id}:materials``), or at once if it
  is over, to those who checked in (``to="attended"``, the default) or to everyone invited
  (``to="invited"``).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from pathlib import Path

from handlers.core.context import CAPTION_LIMIT, Ctx, split_text
from handlers.core.i18n import N_, translator
from handlers.study.cards import card, esc
from handlers.study.terms import StudyError, parse_audience, parse_kind
from handlers.study.times import checkin_opens
from handlers.core.localtime import parse_local, show_span, shown
from storage import audit, outbox, people, timers
from storage import study as store

log = logging.getLogger("linkage.study")

MATERIALS_TO = ("attended", "invited")


def _reminders(value, default: tuple[int, ...]) -> list[int]:
    if value is None:
        return sorted(set(default), reverse=True)
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    else:
        parts = list(value)
    try:
        minutes = sorted({int(p) for p in parts}, reverse=True)
    except ValueError:
        raise StudyError(f"reminders must be minutes before the start, e.g. 2880,120 — not {value!r}") from None
    if any(m <= 0 or m > 60 * 24 * 60 for m in minutes):
        raise StudyError("each reminder must be between 1 minute and 60 days before the start")
    return minutes


def _suffix(session) -> str:
    return f":r{session.revision}" if session.revision else ""


async def add_session(ctx: Ctx, *, title: str, kind: str, start: str | datetime, end: str | datetime,
                      place: str | None = None, link: str | None = None, audience_spec="all",
                      capacity: int | None = None, reminders=None, draft: bool = False, actor: str = "cli"):
    """Create a session (and announce it unless ``draft``); returns the session row."""
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise StudyError("a title is needed (at most 200 characters)")
    starts_at = start if isinstance(start, datetime) else parse_local(start)
    ends_at = end if isinstance(end, datetime) else parse_local(end)
    if ends_at <= starts_at:
        raise StudyError("the end must come after the start")
    if starts_at <= ctx.now:
        raise StudyError(f"the start ({shown(starts_at)} Asia/Shanghai) is in the past")
    place = (place or "").strip() or None
    link = (link or "").strip() or None
    if not place and not link:
        raise StudyError("give a place (--place) or an online link (--link), or both")
    if link and not re.match(r"https?://\S+$", link):
        raise StudyError(f"the link must start with http:// or https://, not {link!r}")
    if place and len(place) > 200 or link and len(link) > 500:
        raise StudyError("the place (200) or the link (500 characters) is too long")
    if capacity is not None and capacity < 1:
        raise StudyError("capacity must be at least 1 (leave it out for no limit)")
    session_id = await store.create_session(
        ctx.conn, title=title, kind=parse_kind(kind), starts_at=starts_at, ends_at=ends_at, place=place, link=link,
        audience=parse_audience(audience_spec), capacity=capacity,
        reminders=_reminders(reminders, ctx.config.study_reminder_minutes), status="draft", revision=0,
        created_by=actor, created_at=ctx.now)
    await audit.record(ctx.conn, actor, "study.add", {"session": session_id, "title": title}, ctx.now)
    if not draft:
        await announce(ctx, session_id, actor=actor)
    return await store.session(ctx.conn, session_id)


async def _session_or_fail(conn, session_id: int):
    row = await store.session(conn, session_id, lock=True)
    if row is None:
        raise StudyError(f"there is no session #{session_id} (see: linkage study list)")
    return row


async def announce(ctx: Ctx, session_id: int, *, actor: str = "cli") -> int:
    """Send the invitation cards (bulk) and schedule the reminders; returns how many were invited."""
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status != "draft":
        raise StudyError(f"session #{session_id} is {s.status}: only a draft can be announced")
    if s.starts_at <= ctx.now:
        raise StudyError(f"session #{session_id} has already begun")
    await store.change_session(ctx.conn, s.id, status="announced", announced_at=ctx.now)
    s = await store.session(ctx.conn, s.id)
    invited = 0
    for member in await people.in_audience(ctx.conn, s.audience):
        await store.ensure_rsvp(ctx.conn, s.id, member.id, ctx.now)
        invited += 1
    await _send_cards(ctx, s)
    await _schedule(ctx, s)
    await audit.record(ctx.conn, actor, "study.announce", {"session": s.id, "invited": invited}, ctx.now)
    log.info("study session announced", extra={"session": s.id, "invited": invited})
    return invited


async def _send_cards(ctx: Ctx, s, intro: str | None = None) -> int:
    """A card to every invited member who can be reached; the card's outbox key is kept so a
    promotion can edit it in place."""
    sent = 0
    for r in await store.rsvps(ctx.conn, s.id):
        if not r.active or not r.reachable or r.telegram_user_id is None:
            continue
        key = f"study:{s.id}:card:{r.member_id}:{s.revision}"
        await store.change_rsvp(ctx.conn, s.id, r.member_id, ctx.now, card_key=key)
        t = translator(r.language)
        text, buttons = await card(ctx, t, s, r)
        if intro:
            text = t(intro) + "\n\n" + text
        await ctx.send(r.telegram_user_id, text, buttons=buttons, key=key, priority=outbox.BULK)
        sent += 1
    return sent


async def _schedule(ctx: Ctx, s) -> None:
    for minutes in s.reminders:
        due = s.starts_at - timedelta(minutes=minutes)
        if due <= ctx.now:
            continue  # the card has just told them; a reminder now would repeat it
        await ctx.schedule(f"study:{s.id}:remind:{minutes}{_suffix(s)}", "study.remind", due,
                           payload={"session": s.id, "minutes": minutes, "revision": s.revision},
                           expires_at=s.starts_at)
    if checkin_opens(s, ctx.config) > ctx.now:
        await ctx.schedule(f"study:{s.id}:open{_suffix(s)}", "study.open", checkin_opens(s, ctx.config),
                           payload={"session": s.id, "revision": s.revision}, expires_at=s.ends_at)
    if s.materials and s.materials_sent_at is None:
        await ctx.schedule(f"study:{s.id}:materials{_suffix(s)}", "study.materials", s.ends_at,
                           payload={"session": s.id, "revision": s.revision})


async def move_session(ctx: Ctx, session_id: int, *, start: str | datetime, end: str | datetime,
                       actor: str = "cli"):
    """A new time: the old timers are cancelled, new ones scheduled, everyone invited told
    (with fresh buttons). Answers are kept."""
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status == "cancelled":
        raise StudyError(f"session #{session_id} was cancelled")
    starts_at = start if isinstance(start, datetime) else parse_local(start)
    ends_at = end if isinstance(end, datetime) else parse_local(end)
    if ends_at <= starts_at or starts_at <= ctx.now:
        raise StudyError("the new start must be in the future and before the new end")
    cancelled = await timers.cancel(ctx.conn, f"study:{s.id}:", ctx.now)
    await store.change_session(ctx.conn, s.id, starts_at=starts_at, ends_at=ends_at, revision=s.revision + 1)
    s = await store.session(ctx.conn, s.id)
    if s.status == "announced":
        await _send_cards(ctx, s, intro=N_("🔁 The time of this session has changed:"))
        await _schedule(ctx, s)
    await audit.record(ctx.conn, actor, "study.move", {"session": s.id, "starts_at": starts_at.isoformat(),
                                                       "timers_cancelled": cancelled}, ctx.now)
    return s


async def cancel_session(ctx: Ctx, session_id: int, *, actor: str = "cli") -> int:
    """Cancel a session: its timers are dropped and everyone invited is told; returns how many."""
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status == "cancelled":
        raise StudyError(f"session #{session_id} is already cancelled")
    if s.ends_at <= ctx.now:
        raise StudyError(f"session #{session_id} is over; there is nothing to cancel")
    await timers.cancel(ctx.conn, f"study:{s.id}:", ctx.now)
    await store.change_session(ctx.conn, s.id, status="cancelled", cancelled_at=ctx.now)
    told = 0
    if s.status == "announced":
        for r in await store.rsvps(ctx.conn, s.id):
            if not r.active or not r.reachable or r.telegram_user_id is None:
                continue
            t = translator(r.language)
            await ctx.send(r.telegram_user_id, t("❌ Cancelled: <b>{title}</b> ({time}) will not take place.",
                                                 title=s.title, time=show_span(s.starts_at, s.ends_at)),
                           priority=outbox.BULK)
            told += 1
    await audit.record(ctx.conn, actor, "study.cancel", {"session": s.id, "told": told}, ctx.now)
    return told


async def set_materials(ctx: Ctx, session_id: int, *, link: str | None = None, file: str | Path | None = None,
                        file_id: str | None = None, name: str | None = None, to: str = "attended",
                        actor: str = "cli") -> str:
    """Attach materials (a link, a local file the bot uploads, or a Telegram file_id). They are
    pushed when the session ends — or now, if it is over. Returns what happens, in words."""
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status == "cancelled":
        raise StudyError(f"session #{session_id} was cancelled")
    if to not in MATERIALS_TO:
        raise StudyError(f"materials go to {' or '.join(MATERIALS_TO)}, not {to!r}")
    if sum(x is not None for x in (link, file, file_id)) != 1:
        raise StudyError("give exactly one of --link, --file or --file-id")
    if link is not None:
        if not re.match(r"https?://\S+$", link) or len(link) > 500:
            raise StudyError(f"the link must start with http:// or https://, not {link!r}")
        materials = {"kind": "link", "value": link, "name": name, "to": to}
    elif file is not None:
        path = Path(file).resolve()
        if not path.is_file():
            raise StudyError(f"{file} is not a file")
        if path.stat().st_size > ctx.config.max_file_bytes:
            raise StudyError(f"{file} is larger than the limit of {ctx.config.max_file_bytes // 2**20} MB")
        materials = {"kind": "document", "value": {"$file": str(path)}, "name": name or path.name, "to": to}
    else:
        materials = {"kind": "document", "value": file_id, "name": name, "to": to}
    await store.change_session(ctx.conn, s.id, materials=materials, materials_sent_at=None)
    s = await store.session(ctx.conn, s.id)
    await audit.record(ctx.conn, actor, "study.materials", {"session": s.id, "kind": materials["kind"], "to": to},
                       ctx.now)
    if s.ends_at <= ctx.now:
        sent = await push_materials(ctx, s) if s.status == "announced" else 0
        return f"sent to {sent} member(s)"
    await ctx.schedule(f"study:{s.id}:materials{_suffix(s)}", "study.materials", s.ends_at,
                       payload={"session": s.id, "revision": s.revision})
    whom = "those who checked in" if to == "attended" else "everyone invited"
    return f"will be sent at the end, {shown(s.ends_at)} Asia/Shanghai, to {whom}"


async def push_materials(ctx: Ctx, s) -> int:
    materials = s.materials or {}
    sent = 0
    for r in await store.rsvps(ctx.conn, s.id):
        if materials.get("to") == "attended" and r.checked_in_at is None:
            continue
        if not r.active or not r.reachable or r.telegram_user_id is None:
            continue
        t = translator(r.language)
        caption = t("📎 Materials of <b>{title}</b>: {name}", title=s.title, name=materials["name"]) \
            if materials.get("name") else t("📎 Materials of <b>{title}</b>", title=s.title)
        if materials.get("kind") == "link":
            await ctx.send(r.telegram_user_id, caption + "\n" + esc(materials["value"]),
                           priority=outbox.BULK)
        else:
            await ctx.call("sendDocument", {"chat_id": r.telegram_user_id, "document": materials["value"],
                                            "caption": split_text(caption, CAPTION_LIMIT)[0], "parse_mode": "HTML"},
                           chat_id=r.telegram_user_id, priority=outbox.BULK)
        sent += 1
    await store.change_session(ctx.conn, s.id, materials_sent_at=ctx.now)
    log.info("study materials sent", extra={"session": s.id, "recipients": sent})
    return sent
